"""The SMPP 3.4 server for client applications (see ``server.py``)."""

from heliograph.servers.smpp.server import SmppServer, SmppServerSettings, SmppServices

__all__ = ["SmppServer", "SmppServerSettings", "SmppServices"]
