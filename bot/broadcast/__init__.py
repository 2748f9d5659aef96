"""Alert broadcasts on LINE and Telegram: the delivery worker, its senders and the progress API."""

from bot.broadcast.worker import DeliveryWorker, WorkerOptions, delivery_worker

__all__ = ["DeliveryWorker", "WorkerOptions", "delivery_worker"]
