"""MMS encapsulation (OMA-MMS-ENC 1.2/1.3): header fields, PDUs and multipart bodies.

Pure code (no I/O, no clock, no randomness): builders and parsers only.

* :mod:`.headers`: header field codes and value encodings.
* :mod:`.values`: the value tables (message types, classes, statuses...).
* :mod:`.pdus`: m-send-req/conf, m-notification-ind, m-notifyresp-ind, m-retrieve-conf,
  m-acknowledge-ind, m-delivery-ind.
* :mod:`.multipart`: application/vnd.wap.multipart.related and .mixed bodies (WAP-230 §8.5).
"""
