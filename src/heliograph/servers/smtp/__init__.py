"""E-mail to SMS: the SMTP edge (aiosmtpd). See ``server.py`` and docs/email.md."""

from heliograph.servers.smtp.handler import Policy, SmtpServices
from heliograph.servers.smtp.server import SmtpServer, SmtpSettings, is_loopback

__all__ = ["Policy", "SmtpServer", "SmtpServices", "SmtpSettings", "is_loopback"]
