"""The rules of the agency console (accounts, who may do what, claims, duplicates, the phrasebook,
warnings with approval), usable by the console's pages, the API and the CLI alike."""

from actions.console.access import NotAllowed, Permission, actor_of, may, require
from actions.console.accounts import (
    AccountError,
    OpenedSession,
    SignIn,
    SignInResult,
    account_by_username,
    accounts_of,
    close_session,
    close_sessions_of,
    create_account,
    open_session,
    session_by_token,
    set_password,
    sign_in,
)
from actions.console.phrasebook import default_phrasebook, load_phrasebook, phrase_key

__all__ = [
    "AccountError",
    "NotAllowed",
    "OpenedSession",
    "Permission",
    "SignIn",
    "SignInResult",
    "account_by_username",
    "accounts_of",
    "actor_of",
    "close_session",
    "close_sessions_of",
    "create_account",
    "default_phrasebook",
    "load_phrasebook",
    "may",
    "open_session",
    "phrase_key",
    "require",
    "session_by_token",
    "set_password",
    "sign_in",
]
