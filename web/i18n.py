"""Page texts in German and English, and which language a request gets."""

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


def explicit_query(request: Any) -> str:
    """`?lang=xx` when the visitor chose a language: forms post back to it, so the answer keeps it."""
    explicit = request.query_params.get("lang")
    return f"?lang={explicit}" if explicit in LANGUAGES else ""


def choose(request: Any, user_language: str | None = None) -> str:
    """An explicit choice (the page's language switch, ?lang=), else the user's own language,
    else the browser's Accept-Language, else German."""
    explicit = request.query_params.get("lang")
    if explicit in LANGUAGES:
        return str(explicit)
    if user_language in LANGUAGES:
        return str(user_language)
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
        "error_request": "Diese Seite lässt sich so nicht aufrufen. Öffnen Sie den Link aus Ihrer E-Mail erneut.",
        "refusal_csrf": "Das Formular ist abgelaufen oder wurde nicht von dieser Seite gesendet. Bitte laden Sie "
                      "die Seite neu und senden Sie es noch einmal.",
        "back_home": "Zur Startseite",
        "not_found_title": "Seite nicht gefunden",
        "imprint": "Impressum",
        "privacy": "Datenschutz",
        "to_login": "Zur Anmeldung",

        # set a password
        "set_title": "Passwort festlegen",
        "set_intro": "Guten Tag {name}, hier legen Sie das Passwort für Ihren Zugang fest.",
        "set_login": "Ihr Benutzername",
        "set_valid_until": "Dieser Link gilt bis",
        "set_rules_title": "Ihr Passwort",
        "rule_length": "hat mindestens {min} und höchstens {max} Zeichen (ein Satz aus mehreren Wörtern ist ideal),",
        "rule_login": "enthält weder Ihren Benutzernamen noch einen Teil davon,",
        "rule_email": "enthält nicht den Teil Ihrer E-Mail-Adresse vor dem @,",
        "rule_common": "ist keines der häufigsten Passwörter.",
        "password": "Neues Passwort",
        "password_confirm": "Neues Passwort wiederholen",
        "set_submit": "Passwort speichern",
        "set_mismatch": "Die beiden Eingaben stimmen nicht überein.",
        "policy_empty": "Bitte geben Sie ein Passwort ein.",
        "policy_control": "Das Passwort enthält Steuerzeichen; bitte tippen Sie es neu ein.",
        "policy_invisible": "Das Passwort besteht aus unsichtbaren Zeichen.",
        "policy_too_short": "Das Passwort hat {length} Zeichen; es braucht mindestens {min}.",
        "policy_too_long": "Das Passwort hat {length} Zeichen; erlaubt sind höchstens {max}.",
        "policy_login": "Das Passwort enthält Ihren Benutzernamen.",
        "policy_login_part": "Das Passwort enthält einen Teil Ihres Benutzernamens ({part}).",
        "policy_email": "Das Passwort enthält den Teil Ihrer E-Mail-Adresse vor dem @.",
        "policy_common": "Dieses Passwort gehört zu den häufigsten Passwörtern und ist leicht zu erraten.",
        "policy_current": "Das ist Ihr bisheriges Passwort; bitte wählen Sie ein neues.",
        "set_done_title": "Ihr Passwort ist gespeichert",
        "set_done_text": "Sie können sich jetzt mit Ihrem Benutzernamen {login} und dem neuen Passwort anmelden. "
                         "Der Link aus der E-Mail ist damit verbraucht.",
        "continue_title": "Einen Moment bitte",
        "continue_text": "Sie werden weitergeleitet. Falls nicht, klicken Sie bitte auf „Weiter“.",
        "continue": "Weiter",
        "invalid_title": "Dieser Link ist nicht mehr gültig",
        "invalid_text": "Der Link wurde schon benutzt, ist abgelaufen, wurde durch einen neueren Link ersetzt "
                        "oder ist unvollständig. Fordern Sie einfach einen neuen Link an.",
        "request_new": "Neuen Link anfordern",
        # forgot password
        "forgot_title": "Passwort vergessen",
        "forgot_intro": "Geben Sie Ihren Benutzernamen oder Ihre E-Mail-Adresse ein. Wir senden Ihnen einen Link, "
                        "mit dem Sie ein neues Passwort festlegen.",
        "forgot_ident": "Benutzername oder E-Mail-Adresse",
        "forgot_submit": "Link senden",
        "forgot_sent_title": "Bitte sehen Sie in Ihr Postfach",
        "forgot_sent_text": "Wenn zu dieser Angabe ein Zugang besteht, haben wir soeben einen Link an die "
                            "hinterlegte E-Mail-Adresse gesendet. Er ist {hours} Stunden gültig. Kommt keine "
                            "E-Mail an, prüfen Sie bitte auch den Spam-Ordner oder wenden Sie sich an Ihre "
                            "Ansprechperson.",
        "forgot_empty": "Bitte geben Sie Ihren Benutzernamen oder Ihre E-Mail-Adresse ein.",
        # invitations
        "invite_title": "Einladung",
        "invite_partner_lead": "{inviter} lädt Sie ein, als {kind} mit {origin} zusammenzuarbeiten.",
        "invite_partner_lead_org": "{origin} lädt Sie ein, als {kind} mit {origin} zusammenzuarbeiten.",
        "invite_member_lead": "{inviter} lädt Sie ein, {origin} beizutreten.",
        "invite_member_lead_org": "Sie sind eingeladen, {origin} beizutreten.",
        "kind_customer": "Kunde",
        "kind_reseller": "Vertriebspartner",
        "invite_from": "Eingeladen von",
        "invite_to": "Für",
        "invite_org": "Organisation",
        "invite_role": "Ihre Rolle",
        "invite_expires": "Gültig bis",
        "invite_message": "Nachricht",
        "role_admin": "Administrator/in (verwaltet die Organisation und ihre Benutzer)",
        "role_member": "Mitglied (nutzt die Plattform)",
        "role_billing": "Abrechnung (sieht Rechnungen und Zahlungsdaten)",
        "invite_new_title": "Ich bin neu hier",
        "invite_new_partner_help": "Registrieren Sie Ihre Organisation. Sie werden ihre erste Administratorin bzw. "
                                   "ihr erster Administrator und erhalten danach eine E-Mail mit einem Link, um "
                                   "Ihr Passwort festzulegen.",
        "invite_new_member_help": "Geben Sie Ihren Namen an. Danach erhalten Sie eine E-Mail mit einem Link, um "
                                  "Ihr Passwort festzulegen.",
        "invite_new_partner_help_password": "Registrieren Sie Ihre Organisation und legen Sie Ihr Passwort fest. "
                                            "Sie werden ihre erste Administratorin bzw. ihr erster Administrator.",
        "invite_new_member_help_password": "Geben Sie Ihren Namen an und legen Sie Ihr Passwort fest.",
        "organisation": "Name der Organisation",
        "first_name": "Vorname",
        "last_name": "Nachname",
        "email": "E-Mail-Adresse",
        "invite_register": "Einladung annehmen und registrieren",
        "invite_existing_title": "Ich habe schon einen Zugang",
        "invite_existing_help": "Melden Sie sich an; die Einladung wird dann für Ihren Zugang angenommen.",
        "login": "Benutzername oder E-Mail-Adresse",
        "current_password": "Passwort",
        "tenant_key": "Welche Ihrer Organisationen?",
        "tenant_key_help": "Geben Sie das Kürzel aus der Meldung unten an.",
        "forgot_on_invite": "Passwort vergessen?",
        "invite_login": "Anmelden und Einladung annehmen",
        "invite_invalid_title": "Diese Einladung ist nicht mehr gültig",
        "invite_invalid_text": "Die Einladung wurde schon angenommen, zurückgezogen, ist abgelaufen oder der Link "
                               "ist unvollständig. Bitten Sie die Person, die Sie eingeladen hat, um eine neue "
                               "Einladung.",
        "invite_login_failed": "Anmeldung fehlgeschlagen: Benutzername oder Passwort ist falsch.",
        "invite_done_title": "Einladung angenommen",
        "invite_done_member": "Sie gehören jetzt zu {org}.",
        "invite_done_registered": "Ihre Organisation {org} ist registriert.",
        "invite_done_connected": "{org} ist jetzt mit {origin} verbunden.",
        "invite_done_requested": "{org} hat die Zusammenarbeit mit {origin} angefragt.",
        "invite_done_login": "Sie können sich jetzt mit Ihrem Benutzernamen {login} und Ihrem Passwort anmelden.",
        "invite_done_login_later": "Ihr Passwort ist gespeichert. Sobald die Registrierung freigegeben ist, melden "
                                   "Sie sich mit Ihrem Benutzernamen {login} und diesem Passwort an.",
        "invite_done_password_mail": "Wir haben Ihnen eine E-Mail mit einem Link gesendet, mit dem Sie Ihr "
                                     "Passwort festlegen.",
        "invite_next": "Wie es weitergeht",
        "state_pending_approval": "Der Betreiber der Plattform prüft die Registrierung von {org}. Bis dahin ist "
                                  "der Zugang noch nicht nutzbar; Sie erhalten eine E-Mail, sobald entschieden ist.",
        "state_requested": "{reseller} prüft die Akkreditierung von {customer} als Kunde. Sie erhalten eine "
                           "E-Mail, sobald entschieden ist.",
        "state_active": "Die Zusammenarbeit ist freigeschaltet; Sie können sofort loslegen.",
        "field_required": "Bitte ausfüllen.",
        # the store's refusals (web/refusals.py: details["reason"] → text)
        "refusal_empty": "Bitte ausfüllen.",
        "refusal_too_long": "Das sind {length} Zeichen; erlaubt sind höchstens {limit}.",
        "refusal_control": "Die Eingabe enthält Steuer- oder Textrichtungszeichen; bitte tippen Sie sie neu ein.",
        "refusal_no_login": "Aus Vor- und Nachname lässt sich kein Benutzername bilden; bitte verwenden Sie "
                            "Buchstaben oder Ziffern.",
        "refusal_reserved_login": "Dieser Name ergibt einen reservierten Benutzernamen ({login}); bitte geben Sie "
                                  "Ihren eigenen Vor- und Nachnamen an.",
        "refusal_email_invalid": "Das ist keine gültige E-Mail-Adresse.",
        "refusal_email_non_ascii": "Vor dem @ stehen Zeichen wie Umlaute, die viele Mailserver nicht zustellen "
                                   "können; bitte verwenden Sie eine Adresse ohne solche Zeichen.",
        "refusal_email_taken": "Zu dieser E-Mail-Adresse gibt es schon einen Zugang. Bitte melden Sie sich unten "
                               "mit diesem Zugang an.",
        "refusal_user_disabled": "Dieser Zugang ist gesperrt und kann die Einladung nicht annehmen. Bitte wenden "
                                 "Sie sich an die Person, die Sie eingeladen hat.",
        "refusal_own_invitation": "Sie haben diese Einladung selbst verschickt; annehmen kann sie nur die "
                                  "eingeladene Person.",
        "refusal_other_address": "Diese Einladung gilt für eine andere E-Mail-Adresse als die Ihres Zugangs.",
        "refusal_invited_address": "Diese Einladung gilt für die E-Mail-Adresse, an die sie geschickt wurde. Für eine "
                                   "andere Adresse bitten Sie um eine neue Einladung.",
        "refusal_own_organisation": "Diese Einladung kommt von Ihrer eigenen Organisation; annehmen kann sie nur "
                                    "die eingeladene Organisation.",
        "refusal_not_admin_of": "Sie verwalten keine Organisation mit diesem Kürzel.",
        "refusal_several_tenants": "Sie verwalten mehrere passende Organisationen ({keys}); bitte geben Sie das "
                                   "Kürzel der gewünschten an.",
        "refusal_no_tenant_to_connect": "Ihr Zugang verwaltet keine Organisation, die als {kind_word} "
                                        "zusammenarbeiten kann.",
        "refusal_already_member": "Ihr Zugang gehört schon zu dieser Organisation; es gibt nichts anzunehmen.",
        "refusal_pair_rule": "Ihre Organisation kann diese Einladung nicht annehmen: verbunden werden immer ein "
                             "Vertriebspartner und ein Kunde.",
        "refusal_exclusive_reseller": "Ihre Organisation ist schon mit einem anderen Vertriebspartner verbunden; "
                                      "ein Kunde arbeitet mit höchstens einem.",
        "refusal_already_connected": "Ihre Organisation ist mit dieser Organisation schon verbunden.",
        "refusal_customer_number_taken": "Die Kundennummer dieser Einladung ist schon vergeben; bitte bitten Sie "
                                         "um eine neue Einladung.",
        "refusal_password_not_here": "Für diese Einladung legen Sie Ihr Passwort über den Link fest, den wir Ihnen "
                                     "nach dem Annehmen per E-Mail senden.",
        "refusal_invalid": "Bitte prüfen Sie Ihre Angaben.",
        "refusal_conflict": "Das passt nicht zum aktuellen Stand; bitte laden Sie die Seite neu.",
        "refusal_denied": "Das ist mit diesem Zugang nicht erlaubt.",
        "refusal_not_found": "Das gibt es nicht (mehr).",
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
        "error_request": "This page cannot be opened this way. Open the link from your e-mail again.",
        "refusal_csrf": "The form has expired or was not sent from this page. Please reload the page and send it "
                      "again.",
        "back_home": "Back to the start page",
        "not_found_title": "Page not found",
        "imprint": "Imprint",
        "privacy": "Privacy",
        "to_login": "Go to login",

        # set a password
        "set_title": "Set your password",
        "set_intro": "Hello {name}, here you set the password of your account.",
        "set_login": "Your login",
        "set_valid_until": "This link is valid until",
        "set_rules_title": "Your password",
        "rule_length": "has at least {min} and at most {max} characters (a sentence of several words is ideal),",
        "rule_login": "contains neither your login nor a part of it,",
        "rule_email": "does not contain the part of your e-mail address before the @,",
        "rule_common": "is not one of the most common passwords.",
        "password": "New password",
        "password_confirm": "Repeat the new password",
        "set_submit": "Save password",
        "set_mismatch": "The two entries do not match.",
        "policy_empty": "Please enter a password.",
        "policy_control": "The password contains control characters; please type it again.",
        "policy_invisible": "The password is made of invisible characters.",
        "policy_too_short": "The password has {length} characters; at least {min} are needed.",
        "policy_too_long": "The password has {length} characters; at most {max} are allowed.",
        "policy_login": "The password contains your login.",
        "policy_login_part": "The password contains a part of your login ({part}).",
        "policy_email": "The password contains the part of your e-mail address before the @.",
        "policy_common": "This password is one of the most common passwords and easy to guess.",
        "policy_current": "This is your current password; please choose a new one.",
        "set_done_title": "Your password is saved",
        "set_done_text": "You can now log in with your login {login} and the new password. The link from the "
                         "e-mail has been used up.",
        "continue_title": "One moment please",
        "continue_text": "You are being forwarded. If nothing happens, please click “Continue”.",
        "continue": "Continue",
        "invalid_title": "This link is no longer valid",
        "invalid_text": "The link was used already, has expired, was replaced by a newer link or is incomplete. "
                        "Simply ask for a new link.",
        "request_new": "Request a new link",
        # forgot password
        "forgot_title": "Forgot your password",
        "forgot_intro": "Enter your login or your e-mail address. We will send you a link to set a new password.",
        "forgot_ident": "Login or e-mail address",
        "forgot_submit": "Send link",
        "forgot_sent_title": "Please check your inbox",
        "forgot_sent_text": "If an account exists for what you entered, we have just sent a link to its e-mail "
                            "address. It is valid for {hours} hours. If no e-mail arrives, please also check your "
                            "spam folder or contact your account manager.",
        "forgot_empty": "Please enter your login or your e-mail address.",
        # invitations
        "invite_title": "Invitation",
        "invite_partner_lead": "{inviter} invites you to work with {origin} as a {kind}.",
        "invite_partner_lead_org": "{origin} invites you to work with them as a {kind}.",
        "invite_member_lead": "{inviter} invites you to join {origin}.",
        "invite_member_lead_org": "You are invited to join {origin}.",
        "kind_customer": "customer",
        "kind_reseller": "reseller",
        "invite_from": "Invited by",
        "invite_to": "For",
        "invite_org": "Organisation",
        "invite_role": "Your role",
        "invite_expires": "Valid until",
        "invite_message": "Message",
        "role_admin": "Administrator (manages the organisation and its users)",
        "role_member": "Member (uses the platform)",
        "role_billing": "Billing (sees invoices and payment details)",
        "invite_new_title": "I am new here",
        "invite_new_partner_help": "Register your organisation. You become its first administrator and then "
                                   "receive an e-mail with a link to set your password.",
        "invite_new_member_help": "Enter your name. You then receive an e-mail with a link to set your password.",
        "invite_new_partner_help_password": "Register your organisation and choose your password. You become its "
                                            "first administrator.",
        "invite_new_member_help_password": "Enter your name and choose your password.",
        "organisation": "Name of the organisation",
        "first_name": "First name",
        "last_name": "Last name",
        "email": "E-mail address",
        "invite_register": "Accept the invitation and register",
        "invite_existing_title": "I already have an account",
        "invite_existing_help": "Log in; the invitation is then accepted for your account.",
        "login": "Login or e-mail address",
        "current_password": "Password",
        "tenant_key": "Which of your organisations?",
        "tenant_key_help": "Enter the key from the message below.",
        "forgot_on_invite": "Forgot your password?",
        "invite_login": "Log in and accept the invitation",
        "invite_invalid_title": "This invitation is no longer valid",
        "invite_invalid_text": "The invitation was accepted already, withdrawn, has expired or the link is "
                               "incomplete. Please ask the person who invited you for a new invitation.",
        "invite_login_failed": "Login failed: the login or the password is wrong.",
        "invite_done_title": "Invitation accepted",
        "invite_done_member": "You now belong to {org}.",
        "invite_done_registered": "Your organisation {org} is registered.",
        "invite_done_connected": "{org} is now connected with {origin}.",
        "invite_done_requested": "{org} has asked {origin} for a partnership.",
        "invite_done_login": "You can now log in with your login {login} and your password.",
        "invite_done_login_later": "Your password is saved. Once the registration is approved, you log in with "
                                   "your login {login} and this password.",
        "invite_done_password_mail": "We have sent you an e-mail with a link to set your password.",
        "invite_next": "What happens next",
        "state_pending_approval": "The platform's operator reviews the registration of {org}. Until then the "
                                  "account cannot be used yet; you will get an e-mail once it is decided.",
        "state_requested": "{reseller} reviews the accreditation of {customer} as a customer. You will get an "
                           "e-mail once it is decided.",
        "state_active": "The partnership is active; you can start right away.",
        "field_required": "Please fill in.",
        # the store's refusals (web/refusals.py: details["reason"] → text)
        "refusal_empty": "Please fill in.",
        "refusal_too_long": "This is {length} characters long; at most {limit} are allowed.",
        "refusal_control": "This contains control or text-direction characters; please type it again.",
        "refusal_no_login": "No login can be made from this first and last name; please use letters or digits.",
        "refusal_reserved_login": "This name makes a reserved login ({login}); please give your own first and "
                                  "last name.",
        "refusal_email_invalid": "This is not a valid e-mail address.",
        "refusal_email_non_ascii": "Before the @ are characters such as umlauts that many mail servers cannot "
                                   "deliver to; please use an address without them.",
        "refusal_email_taken": "This e-mail address already has an account. Please log in with it below.",
        "refusal_user_disabled": "This account is disabled and cannot accept the invitation. Please contact the "
                                 "person who invited you.",
        "refusal_own_invitation": "You sent this invitation yourself; only the invited person can accept it.",
        "refusal_other_address": "This invitation is for another e-mail address than your account's.",
        "refusal_invited_address": "This invitation is for the e-mail address it was sent to. For another address, "
                                   "please ask for a new invitation.",
        "refusal_own_organisation": "This invitation comes from your own organisation; only the invited "
                                    "organisation can accept it.",
        "refusal_not_admin_of": "You administer no organisation with this key.",
        "refusal_several_tenants": "You administer several fitting organisations ({keys}); please give the key of "
                                   "the one you mean.",
        "refusal_no_tenant_to_connect": "Your account administers no organisation that can work together as a "
                                        "{kind_word}.",
        "refusal_already_member": "Your account belongs to this organisation already; there is nothing to accept.",
        "refusal_pair_rule": "Your organisation cannot accept this invitation: a partnership is always between a "
                             "reseller and a customer.",
        "refusal_exclusive_reseller": "Your organisation is already connected to another reseller; a customer "
                                      "works with at most one.",
        "refusal_already_connected": "Your organisation is already connected with this organisation.",
        "refusal_customer_number_taken": "The customer number of this invitation is taken already; please ask for "
                                         "a new invitation.",
        "refusal_password_not_here": "For this invitation you set your password through the link we e-mail you "
                                     "after accepting.",
        "refusal_invalid": "Please check what you entered.",
        "refusal_conflict": "This does not fit the current state; please reload the page.",
        "refusal_denied": "This account may not do that.",
        "refusal_not_found": "This does not exist (any more).",
    },
}


def texts(language: str) -> dict[str, str]:
    return TEXTS[language if language in TEXTS else DEFAULT]


def say(text: str, **values: Any) -> str:
    """A text with names filled in; a name that ends with a period ends the sentence itself
    ("Blumenhaus Sonnenschein e.K." + "." → one period)."""
    for name, value in values.items():
        if str(value).endswith("."):
            text = text.replace("{" + name + "}.", "{" + name + "}")
    return text.format(**values)
