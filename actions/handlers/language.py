"""The user's explicit choice of language, which then wins over everything else."""

from __future__ import annotations

from actions.context import ActionContext
from actions.domain import SUPPORTED_LANGUAGES
from actions.replies import Button, Reply

# Each language by its own name: a user must recognise theirs whatever language the bot speaks.
NATIVE_NAMES = {
    "th": "ภาษาไทย",
    "en": "English",
    "zh": "中文",
    "ru": "Русский",
    "ko": "한국어",
    "ja": "日本語",
    "de": "Deutsch",
    "fr": "Français",
}
# Names users type for a language, mapped to its code, for when the NLU gives the raw text.
_NAMES_BY_LANGUAGE: dict[str, tuple[str, ...]] = {
    "th": ("thai", "ไทย", "ภาษาไทย", "泰语", "тайский", "태국어", "タイ語", "thailändisch", "thaï"),
    "en": ("english", "อังกฤษ", "ภาษาอังกฤษ", "英语", "英文", "английский", "영어", "英語", "englisch"),
    "zh": ("chinese", "จีน", "ภาษาจีน", "中文", "汉语", "китайский", "중국어", "中国語", "chinesisch"),
    "ru": ("russian", "รัสเซีย", "ภาษารัสเซีย", "俄语", "русский", "по-русски", "러시아어", "ロシア語"),
    "ko": ("korean", "เกาหลี", "ภาษาเกาหลี", "韩语", "корейский", "한국어", "韓国語", "koreanisch"),
    "ja": ("japanese", "ญี่ปุ่น", "ภาษาญี่ปุ่น", "日语", "японский", "일본어", "日本語", "japanisch"),
    "de": ("german", "เยอรมัน", "ภาษาเยอรมัน", "德语", "немецкий", "독일어", "ドイツ語", "deutsch"),
    "fr": ("french", "ฝรั่งเศส", "ภาษาฝรั่งเศส", "法语", "французский", "프랑스어", "フランス語", "français"),
}
_MORE_NAMES = {"anglais": "en", "chinois": "zh", "russe": "ru", "russisch": "ru", "coréen": "ko"}
_MORE_NAMES |= {"japonais": "ja", "allemand": "de", "französisch": "fr", "francais": "fr"}
# Russian inflects language names ("на тайском", "по-английски"): match their stems.
_MORE_NAMES |= {"тайск": "th", "английск": "en", "китайск": "zh", "русск": "ru", "корейск": "ko"}
_MORE_NAMES |= {"японск": "ja", "немецк": "de", "французск": "fr"}
_ALIASES = {
    alias.casefold(): code for code, aliases in _NAMES_BY_LANGUAGE.items() for alias in aliases
} | _MORE_NAMES


def language_code(value: str | None) -> str | None:
    if not value:
        return None
    folded = value.strip().casefold()
    if folded in SUPPORTED_LANGUAGES:
        return folded
    if folded in _ALIASES:
        return _ALIASES[folded]
    # Korean particles and the like: "영어로" -> "영어".
    return next((code for alias, code in _ALIASES.items() if alias in folded), None)


async def change_language(ctx: ActionContext) -> list[Reply]:
    code = language_code(ctx.entities.get("language"))
    if code is None and ctx.entities.get("language") is None and ctx.text and not ctx.text.startswith("/"):
        code = language_code(ctx.text)
    if code is None:
        buttons = tuple(
            Button(NATIVE_NAMES[c], f'/change_language{{"language": "{c}"}}') for c in SUPPORTED_LANGUAGES
        )
        return [Reply(text=ctx.t("language.ask"), buttons=buttons)]
    ctx.user.language = code
    ctx.user.language_source = "explicit"
    ctx.language = code
    return [Reply(text=ctx.t("language.changed"))]
