"""Online identifiers: platform names folded to one spelling, handles, profile URLs."""

from __future__ import annotations

import re
from urllib.parse import parse_qs, urlsplit

from ..names import unicode_fold
from .network import _SCHEME_RE, _SCHEMES, _normalise_url

_PLATFORM_ALIASES: dict[str, str] = {
    "twitter": "x",
    "x": "x",
    "xcom": "x",
    "twittercom": "x",
    "fb": "facebook",
    "facebook": "facebook",
    "facebookcom": "facebook",
    "fbcom": "facebook",
    "messenger": "facebook",
    "facebookmessenger": "facebook",
    "meta": "facebook",
    "ig": "instagram",
    "insta": "instagram",
    "instagram": "instagram",
    "instagramcom": "instagram",
    "snap": "snapchat",
    "sc": "snapchat",
    "snapchat": "snapchat",
    "kik": "kik",
    "kikmessenger": "kik",
    "tg": "telegram",
    "telegram": "telegram",
    "tme": "telegram",
    "discord": "discord",
    "discordapp": "discord",
    "tiktok": "tiktok",
    "tt": "tiktok",
    "musically": "tiktok",
    "whatsapp": "whatsapp",
    "wa": "whatsapp",
    "skype": "skype",
    "reddit": "reddit",
    "roblox": "roblox",
    "youtube": "youtube",
    "yt": "youtube",
    "twitch": "twitch",
    "wickr": "wickr",
    "wickrme": "wickr",
    "signal": "signal",
    "threema": "threema",
    "omegle": "omegle",
    "tumblr": "tumblr",
    "pinterest": "pinterest",
    "grindr": "grindr",
    "yubo": "yubo",
    "yellow": "yubo",
    "steam": "steam",
    "xbox": "xbox",
    "xboxlive": "xbox",
    "xbl": "xbox",
    "psn": "playstation",
    "playstation": "playstation",
    "playstationnetwork": "playstation",
    "wechat": "wechat",
    "line": "line",
    "viber": "viber",
    "vk": "vk",
    "vkontakte": "vk",
    "linkedin": "linkedin",
    "github": "github",
    "onlyfans": "onlyfans",
    "session": "session",
    "element": "matrix",
    "matrix": "matrix",
    "minecraft": "minecraft",
    "fortnite": "epicgames",
    "epic": "epicgames",
    "epicgames": "epicgames",
    "imvu": "imvu",
    "zepeto": "zepeto",
    "meetme": "meetme",
    "badoo": "badoo",
    "tinder": "tinder",
    "bumble": "bumble",
    "hangouts": "google",
    "google": "google",
    "gmail": "google",
    "kakao": "kakaotalk",
    "kakaotalk": "kakaotalk",
    "qq": "qq",
    "mewe": "mewe",
    "tellonym": "tellonym",
    "askfm": "askfm",
    "dropbox": "dropbox",
    "mega": "mega",
    "meganz": "mega",
    "teams": "teams",
    "zoom": "zoom",
    "omeglecom": "omegle",
}


# Every canonical platform name fold_platform knows (a handle of "unknown" platform is
# looked up under each of them by deconfliction).
KNOWN_PLATFORMS = frozenset(_PLATFORM_ALIASES.values())


def fold_platform(platform: str | None) -> str:
    """Canonical platform name ("Twitter" → "x", "FB" → "facebook"); "unknown" if none."""
    if not platform:
        return "unknown"
    key = re.sub(r"[^a-z0-9]", "", unicode_fold(platform))[:40]
    if not key:
        return "unknown"
    return _PLATFORM_ALIASES.get(key, key)


# host → platform for profile URLs; path rules in _profile_from_url.
_PROFILE_HOSTS: dict[str, str] = {
    "instagram.com": "instagram",
    "twitter.com": "x",
    "x.com": "x",
    "mobile.twitter.com": "x",
    "tiktok.com": "tiktok",
    "facebook.com": "facebook",
    "m.facebook.com": "facebook",
    "fb.com": "facebook",
    "t.me": "telegram",
    "telegram.me": "telegram",
    "snapchat.com": "snapchat",
    "kik.me": "kik",
    "youtube.com": "youtube",
    "reddit.com": "reddit",
    "old.reddit.com": "reddit",
    "twitch.tv": "twitch",
    "github.com": "github",
    "roblox.com": "roblox",
}
_NOT_PROFILES = frozenset(
    "p reel reels explore stories accounts about help legal privacy terms login signup share "
    "watch home search hashtag intent i status settings messages notifications groups events "
    "pages marketplace video videos photo photos permalink story tag tags discover joinchat "
    "add c channel channels r s".split()
)
_HANDLE_CHARS_RE = re.compile(r"[a-z0-9_.\-]{1,64}(?:#[0-9]{4})?")


def _profile_from_url(url: str) -> str | None:
    """online_id value ("instagram:name") for a normalised profile URL, if it is one."""
    try:
        parts = urlsplit(url)
    except ValueError:
        return None
    platform = _PROFILE_HOSTS.get(parts.hostname or "")
    if platform is None:
        return None
    segments = [s for s in parts.path.split("/") if s]
    if platform == "facebook" and segments[:1] == ["profile.php"]:
        ids = parse_qs(parts.query).get("id")
        return f"facebook:{ids[0]}" if ids and ids[0].isdigit() else None
    if platform == "snapchat" and len(segments) >= 2 and segments[0] == "add":
        segments = segments[1:]
    elif platform == "reddit" and len(segments) >= 2 and segments[0] in ("user", "u"):
        segments = segments[1:]
    elif platform == "roblox" and len(segments) >= 2 and segments[0] == "users":
        segments = segments[1:]
    elif platform in ("tiktok", "youtube"):
        if not segments or not segments[0].startswith("@"):
            return None
    if not segments:
        return None
    handle = segments[0].lstrip("@").lower()
    if handle in _NOT_PROFILES or not _HANDLE_CHARS_RE.fullmatch(handle):
        return None
    return f"{platform}:{handle}"


def _normalise_online_id(raw: str, platform: str | None) -> str | None:
    text = raw.strip()
    if not text:
        return None
    if platform is None and ("/" in text or text.lower().startswith("www.")):
        url = _normalise_url(text)
        profile = _profile_from_url(url) if url else None
        if profile:
            return profile
        scheme = _SCHEME_RE.match(text)
        if scheme and scheme.group(1).lower() in _SCHEMES:
            return None  # a URL, but not a profile page we can read a handle from
    prefix, colon, rest = text.partition(":")
    folded_prefix = fold_platform(prefix) if colon else ""
    if colon and (
        (platform is None and re.fullmatch(r"[^\s:@]{1,40}", prefix.strip()) is not None)
        or (platform is not None and folded_prefix == fold_platform(platform))
    ):
        name, handle = folded_prefix, rest
    else:
        name, handle = fold_platform(platform), text
    handle = " ".join(unicode_fold(handle).split()).lstrip("@ ")
    if not handle or any(ord(c) < 32 for c in handle):
        return None
    return f"{name}:{handle}"
