"""E-mail to SMS: the SMTP edge (aiosmtpd). See ``server.py`` and docs/email.md."""

from heliograph.servers.smtp.handler import Policy, SmtpServices
from heliograph.servers.smtp.receipts import FORMAT as RECEIPTS_FORMAT
from heliograph.servers.smtp.receipts import MailDeliverer, Relay
from heliograph.servers.smtp.server import SmtpServer, SmtpSettings, is_loopback

__all__ = [
    "RECEIPTS_FORMAT",
    "MailDeliverer",
    "Policy",
    "Relay",
    "SmtpServer",
    "SmtpServices",
    "SmtpSettings",
    "is_loopback",
]
