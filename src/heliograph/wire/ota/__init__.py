"""Over-the-air content in binary SMS: Nokia Smart Messaging and vObjects.

Pure code (no I/O, no clock, no randomness): builders and parsers only.

* :mod:`.bitmap`: Nokia OTA bitmaps.
* :mod:`.logos`: operator logos, CLI icons (group graphics), picture messages.
* :mod:`.ringtone`: Smart Messaging ringing tones and RTTTL.
* :mod:`.smart`: ports 5505/5506/5507/5514/9204/9205 and SMS parts; vCard/vCalendar payloads.
"""
