"""Subscribe to warnings for an area, list subscriptions, stop them."""

from __future__ import annotations

from actions.context import ActionContext
from actions.db.models import Subscription
from actions.flows import Flow, clear_flow, start_flow
from actions.handlers.location import named_area, remember_location
from actions.replies import Button, Reply
from actions.subscriptions import active_subscriptions, subscribe, unsubscribe


def _label(ctx: ActionContext, subscription: Subscription) -> str:
    if subscription.area_id and (area := ctx.gazetteer.get(subscription.area_id)):
        return area.name(ctx.language)
    return ctx.t("subscribe.your_location")


def _km(subscription: Subscription) -> str:
    return f"{subscription.radius_m / 1000:g}"


async def subscribe_alerts(ctx: ActionContext) -> list[Reply]:
    area = named_area(ctx)
    if area is None and ctx.location is None:
        start_flow(ctx, Flow.SUBSCRIBE, {})
        replies = [Reply(text=ctx.t("subscribe.ask_area"), request_location=True)]
        if current := await active_subscriptions(ctx.session, ctx.user):
            replies.insert(0, _list_reply(ctx, current))
        return replies
    clear_flow(ctx)
    if ctx.location is not None:
        remember_location(ctx, ctx.location)
        subscription, created = await subscribe(ctx.session, ctx.user, now=ctx.now, point=ctx.location)
    else:
        assert area is not None
        subscription, created = await subscribe(ctx.session, ctx.user, now=ctx.now, area=area)
    label = _label(ctx, subscription)
    if not created:
        return [Reply(text=ctx.t("subscribe.already", area=label))]
    return [Reply(text=ctx.t("subscribe.done", area=label, radius=_km(subscription)))]


def _list_reply(ctx: ActionContext, subscriptions: list[Subscription]) -> Reply:
    lines = [ctx.t("subscribe.list_header")]
    for number, subscription in enumerate(subscriptions, start=1):
        lines.append(
            ctx.t(
                "subscribe.list_item", number=number, area=_label(ctx, subscription), radius=_km(subscription)
            )
        )
    return Reply(text="\n".join(lines))


async def unsubscribe_alerts(ctx: ActionContext) -> list[Reply]:
    clear_flow(ctx)
    current = await active_subscriptions(ctx.session, ctx.user)
    if not current:
        return [
            Reply(
                text=ctx.t("subscribe.none"),
                buttons=(ctx.button("button.subscribe", "/subscribe_alerts"),),
            )
        ]
    if raw_id := ctx.entities.get("subscription_id"):
        removed = await unsubscribe(ctx.session, ctx.user, subscription_id=int(raw_id))
        if removed:
            return [Reply(text=ctx.t("unsubscribe.done_area", area=_label(ctx, removed[0])))]
    if ctx.entities.get("all") or len(current) == 1:
        removed = await unsubscribe(ctx.session, ctx.user)
        if len(removed) == 1:
            return [Reply(text=ctx.t("unsubscribe.done_area", area=_label(ctx, removed[0])))]
        return [Reply(text=ctx.t("unsubscribe.done_all", count=len(removed)))]
    if (area := named_area(ctx)) is not None and (
        removed := await unsubscribe(ctx.session, ctx.user, area_id=area.id)
    ):
        return [Reply(text=ctx.t("unsubscribe.done_area", area=area.name(ctx.language)))]
    buttons = [Button(_label(ctx, s), f'/unsubscribe_alerts{{"subscription_id": "{s.id}"}}') for s in current]
    buttons.append(Button(ctx.t("button.unsubscribe_all"), '/unsubscribe_alerts{"all": "true"}'))
    return [_list_reply(ctx, current), Reply(text=ctx.t("unsubscribe.which"), buttons=tuple(buttons))]
