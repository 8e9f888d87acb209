"""`synth ask`: plain-language questions from leadership, answered with exact figures or quoted records.

    from synth.ask import Asker
    asker = Asker.from_services(services)
    answer = asker.ask("How many meetings mentioned lighting, by district?")
"""

from synth.ask.models import Answer, Citation, Coverage, Figure, StructuredQuery
from synth.ask.service import Asker

__all__ = ["Answer", "Asker", "Citation", "Coverage", "Figure", "StructuredQuery"]
