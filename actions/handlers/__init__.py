"""Action handlers: each takes an `ActionContext` and returns the replies to send."""
