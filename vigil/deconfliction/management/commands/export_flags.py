"""`vigil export_flags --json`: every open flag, grouped per tip pair, and the common values.

Output (a JSON list, streamed so a large store does not build it in memory). "tips" holds
each tip's source reference, as it always has (programs match on it); "names" the same tips
named for a person, by source and reference ("<source name> <reference>", as the pages do):
  {"tips": ["<reference>", "<reference>"], "names": ["<source> <reference>", …],
   "reasons": [{"type": "email", "value": "<normalised value>"},
               {"type": "name", "value": "<name> ~ <name>", "score": 0.95}]}
  {"hub": true, "type": "ip", "value": "<value>", "tips": ["<reference>", ...], "names": [...]}
"""

from __future__ import annotations

import json
import uuid

from django.core.management.base import BaseCommand, CommandError

from vigil.audit.log import record
from vigil.core import request_context
from vigil.deconfliction.models import NAME, Flag, TipNotice


class Command(BaseCommand):
    help = "Print every open flag (grouped per tip pair) and every common value as JSON."

    def add_arguments(self, parser):
        parser.add_argument("--json", action="store_true", help="JSON output (the only format)")
        parser.add_argument("--output", "-o", help="write to this file instead of stdout")

    def handle(self, *args, **options):
        if not options["json"]:
            raise CommandError("Say --json: JSON is the only output format.")
        out = None
        if options.get("output"):
            try:
                out = open(options["output"], "w", encoding="utf-8")  # noqa: SIM115
            except OSError as exc:
                raise CommandError(f"Cannot write {options['output']}: {exc.strerror}") from None

        def write(text: str) -> None:
            if out is not None:
                out.write(text)
            else:
                self.stdout.write(text, ending="")

        with request_context.bind(request_id=str(uuid.uuid4()), via="cli"):
            try:
                pairs, hubs = self._write(write)
            finally:
                if out is not None:
                    out.close()
            record(
                "deconfliction.export_flags",
                summary=f"exported {pairs} flagged tip pair(s) and {hubs} common value(s)",
            )

    def _write(self, write) -> tuple[int, int]:
        write("[")
        first = True

        def emit(obj) -> None:
            nonlocal first
            write("\n  " if first else ",\n  ")
            write(json.dumps(obj, ensure_ascii=False))
            first = False

        flags = (
            Flag.objects.open()
            .order_by("tip_a_id", "tip_b_id", "type", "value", "value_b")
            .values_list(
                "tip_a_id",
                "tip_b_id",
                "tip_a__source__name",
                "tip_a__source_reference",
                "tip_b__source__name",
                "tip_b__source_reference",
                "type",
                "value",
                "value_b",
                "score",
            )
        )
        pairs = 0
        current = None
        item: dict = {}
        for a, b, src_a, ref_a, src_b, ref_b, type_, value, value_b, score in flags.iterator(
            chunk_size=5000
        ):
            if (a, b) != current:
                if current is not None:
                    emit(item)
                    pairs += 1
                current = (a, b)
                item = {
                    "tips": [ref_a, ref_b],
                    "names": [f"{src_a} {ref_a}", f"{src_b} {ref_b}"],
                    "reasons": [],
                }
            reason: dict = {"type": type_, "value": f"{value} ~ {value_b}" if value_b else value}
            if type_ == NAME and score is not None:
                reason["score"] = score
            item["reasons"].append(reason)
        if current is not None:
            emit(item)
            pairs += 1

        hubs = 0
        notices = TipNotice.objects.order_by("type", "value", "tip_id").values_list(
            "type", "value", "tip__source__name", "tip__source_reference"
        )
        current = None
        hub: dict = {}
        for type_, value, src, ref in notices.iterator(chunk_size=5000):
            if (type_, value) != current:
                if current is not None:
                    emit(hub)
                    hubs += 1
                current = (type_, value)
                hub = {
                    "hub": True,
                    "type": NAME if type_ == "person" else type_,
                    "value": value,
                    "tips": [],
                    "names": [],
                }
            hub["tips"].append(ref)
            hub["names"].append(f"{src} {ref}")
        if current is not None:
            emit(hub)
            hubs += 1
        write("\n]\n" if not first else "]\n")
        return pairs, hubs
