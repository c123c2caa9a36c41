"""Page texts in German and English, and which language a request gets: the user's own (when a
token names them), else an explicit choice (?lang= / cookie), else Accept-Language, else German."""

from __future__ import annotations

from typing import Any

LANGUAGES = ("de", "en")
DEFAULT = "de"


def from_accept_language(header: str | None) -> str | None:
    """The first of our languages in the header, by q-value (`en-GB;q=0.8, de;q=0.9` → de)."""
    best: tuple[float, int, str] | None = None
    for pos, part in enumerate((header or "").split(",")):
        tag, _, params = part.strip().partition(";")
        lang = tag.strip().lower().split("-")[0]
        if lang not in LANGUAGES:
            continue
        q = 1.0
        for p in params.split(";"):
            name, _, value = p.strip().partition("=")
            if name == "q":
                try:
                    q = float(value)
                except ValueError:
                    q = 0.0
        if q > 0 and (best is None or (q, -pos) > (best[0], best[1])):
            best = (q, -pos, lang)
    return best[2] if best else None


def choose(request: Any, user_language: str | None = None) -> str:
    if user_language in LANGUAGES:
        return str(user_language)
    for explicit in (request.query_params.get("lang"), request.cookies.get("lang")):
        if explicit in LANGUAGES:
            return str(explicit)
    return from_accept_language(request.headers.get("accept-language")) or DEFAULT


TEXTS: dict[str, dict[str, str]] = {
    "de": {
        "skip": "Zum Inhalt springen",
        "on_behalf": "im Auftrag von {reseller}",
        "language_switch": "English",
        "language_switch_lang": "en",
        "home_title": "Willkommen",
        "home_text": "Hier setzen Sie Ihr Passwort, nehmen Einladungen an und fordern einen neuen Link an, "
                     "wenn Sie Ihr Passwort vergessen haben.",
        "forgot_link": "Passwort vergessen?",
        "error_title": "Das hat nicht geklappt",
        "error_rate": "Zu viele Versuche in kurzer Zeit. Bitte warten Sie {seconds} Sekunden und versuchen Sie es "
                      "dann erneut.",
        "error_generic": "Ein Fehler ist aufgetreten. Bitte versuchen Sie es später erneut.",
        "error_not_found": "Diese Seite gibt es nicht.",
        "error_csrf": "Das Formular ist abgelaufen oder wurde nicht von dieser Seite gesendet. Bitte laden Sie "
                      "die Seite neu und senden Sie es noch einmal.",
        "back_home": "Zur Startseite",
    },
    "en": {
        "skip": "Skip to content",
        "on_behalf": "on behalf of {reseller}",
        "language_switch": "Deutsch",
        "language_switch_lang": "de",
        "home_title": "Welcome",
        "home_text": "Here you set your password, accept invitations and ask for a new link if you forgot "
                     "your password.",
        "forgot_link": "Forgot your password?",
        "error_title": "That did not work",
        "error_rate": "Too many attempts in a short time. Please wait {seconds} seconds and try again.",
        "error_generic": "Something went wrong. Please try again later.",
        "error_not_found": "This page does not exist.",
        "error_csrf": "The form has expired or was not sent from this page. Please reload the page and send it "
                      "again.",
        "back_home": "Back to the start page",
    },
}


def texts(language: str) -> dict[str, str]:
    return TEXTS[language if language in TEXTS else DEFAULT]
