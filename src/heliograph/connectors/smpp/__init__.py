"""The SMPP 3.4 client connector to upstream SMSCs (see ``connector.py``)."""

from heliograph.connectors.smpp.connector import SmppConnector
from heliograph.connectors.smpp.settings import BindMode, SmppSettings
from heliograph.connectors.smpp.translate import IdFormat, SubmitDefaults

__all__ = ["BindMode", "IdFormat", "SmppConnector", "SmppSettings", "SubmitDefaults"]
