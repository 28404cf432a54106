"""WAP: WSP push PDUs and values (WAP-230), WBXML (WAP-192), SI (WAP-167), SL (WAP-168).

Pure code (no I/O, no clock, no randomness): builders and parsers only.

* :mod:`.encoding`: uintvar and the basic WSP value encodings, a bounded byte reader.
* :mod:`.content_types`: content type values and the well-known content type table.
* :mod:`.headers`: WSP header fields in binary form.
* :mod:`.wsp`: the Push PDU.
* :mod:`.wbxml`, :mod:`.wbxml_writer`, :mod:`.wbxml_reader`: WBXML documents, written and read.
* :mod:`.si`, :mod:`.sl`: Service Indication and Service Loading documents.
* :mod:`.push`: push PDUs for SI, SL and MMS notifications, split into SMS parts.
"""
