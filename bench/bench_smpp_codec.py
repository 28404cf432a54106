"""Time encode and decode of the hot-path SMPP PDUs (submit_sm, submit_sm_resp, deliver_sm).

Run: python bench/bench_smpp_codec.py [--number N]
Prints microseconds per operation and encode+decode pairs per second, then the
cost of one submit_sm exchange through two back-to-back sessions (ESME send,
SMSC receive and respond, ESME receive), i.e. both ends of a bind in one process.
"""

from __future__ import annotations

import argparse
import timeit
from dataclasses import replace

from heliograph.wire.smpp import tlv
from heliograph.wire.smpp.codec import decode, encode
from heliograph.wire.smpp.constants import EsmClass, MessageState, Npi, RegisteredDelivery, Ton
from heliograph.wire.smpp.events import BindRequested, RequestReceived
from heliograph.wire.smpp.pdus import (
    BindTransceiver,
    BindTransceiverResp,
    DeliverSm,
    Pdu,
    SubmitSm,
    SubmitSmResp,
)
from heliograph.wire.smpp.session import Role, Session

SAMPLES: dict[str, Pdu] = {
    "submit_sm": SubmitSm(
        sequence_number=123456,
        source_addr_ton=Ton.ALPHANUMERIC,
        source_addr="Heliograph",
        dest_addr_ton=Ton.INTERNATIONAL,
        dest_addr_npi=Npi.ISDN,
        destination_addr="447700900123",
        esm_class=EsmClass.UDHI,
        registered_delivery=RegisteredDelivery.SMSC_RECEIPT_ON_SUCCESS_OR_FAILURE,
        data_coding=0,
        short_message=b"\x05\x00\x03\x2a\x02\x01" + b"x" * 134,
    ),
    "submit_sm_resp": SubmitSmResp(sequence_number=123456, message_id="a3f1c2d4e5"),
    "deliver_sm (receipt)": DeliverSm(
        sequence_number=77,
        source_addr_ton=Ton.INTERNATIONAL,
        source_addr_npi=Npi.ISDN,
        source_addr="447700900123",
        destination_addr="Heliograph",
        esm_class=EsmClass.SMSC_DELIVERY_RECEIPT,
        short_message=b"id:a3f1c2d4e5 sub:001 dlvrd:001 submit date:2401011200 "
        b"done date:2401011201 stat:DELIVRD err:000 text:Hello",
        tlvs=(
            tlv.ReceiptedMessageId(value="a3f1c2d4e5"),
            tlv.MessageState(value=MessageState.DELIVERED),
        ),
    ),
}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--number", type=int, default=200_000)
    number = parser.parse_args().number
    print(f"{'pdu':<22}{'encode µs':>11}{'decode µs':>11}{'pairs/s':>11}")
    for name, pdu in SAMPLES.items():
        frame = encode(pdu)
        assert decode(frame) == pdu
        enc = min(timeit.repeat(lambda p=pdu: encode(p), number=number, repeat=3)) / number
        dec = min(timeit.repeat(lambda f=frame: decode(f), number=number, repeat=3)) / number
        print(f"{name:<22}{enc * 1e6:>11.2f}{dec * 1e6:>11.2f}{1 / (enc + dec):>11,.0f}")
    per = min(bench_session(number) for _ in range(3))
    print(f"session submit_sm exchange, both ends: {per * 1e6:.2f} µs ({1 / per:,.0f}/s)")


def bench_session(number: int) -> float:
    esme = Session(Role.ESME, window=number + 1, enquire_link_interval_s=None)
    smsc = Session(Role.SMSC, window=number + 1, enquire_link_interval_s=None)
    smsc.receive_data(esme.send(BindTransceiver(system_id="bench"), 0.0), 0.0)
    bind = smsc.next_event()
    assert isinstance(bind, BindRequested)
    esme.receive_data(smsc.send_response(bind.request, BindTransceiverResp()), 0.0)
    esme.next_event()
    submit = replace(SAMPLES["submit_sm"], sequence_number=0)
    response = SubmitSmResp(message_id="a3f1c2d4e5")

    def exchange() -> None:
        smsc.receive_data(esme.send(submit, 1.0), 1.0)
        event = smsc.next_event()
        assert isinstance(event, RequestReceived)
        esme.receive_data(smsc.send_response(event.pdu, response), 1.0)
        esme.next_event()

    return timeit.timeit(exchange, number=number) / number


if __name__ == "__main__":
    main()
