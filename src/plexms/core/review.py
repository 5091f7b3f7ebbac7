"""Stop or continue? The review of the response during a course (rules ``RESP-REVIEW-*``).

Improvement typically begins after the second or third exchange (``SEED_ARTICLE``); the course
is 5-7 exchanges (``SEED_PROTOCOL``). After exchange 3 (``ResponsePolicy.review_after_exchange``)
the response so far is read from each measure given, against the course's baseline:

- the targeted neurological deficit (``WEINSHENKER_1999`` grades): marked, moderate or mild
  improvement is *improving*, none *unchanged*, worse *worse*;
- the EDSS: any fall is *improving*; a rise by the baseline-dependent step
  (:func:`plexms.core.disability.worsening_needed`) is *worse*; otherwise *unchanged*;
- visual acuity of the affected eye (given, else the worse eye at baseline): a gain of at least
  ``acuity_gain_logmar`` (default 0.1, one line) is *improving*, a loss as large *worse*.

The centre's rule (each threshold a setting, local policy where no source gives one):

1. fewer exchanges than the review point: ``not_due`` (RESP-REVIEW-NOT-DUE);
2. no measure given: ``incomplete`` (RESP-REVIEW-MISSING);
3. any measure worse: ``stop`` and review diagnosis and treatment (RESP-REVIEW-WORSE);
4. any improving: ``continue`` to the full course (5), then while still improving to the
   maximum (7); at the maximum, ``stop`` (RESP-REVIEW-IMPROVING, RESP-REVIEW-COURSE-DONE);
5. unchanged: ``continue`` to the full course when the centre allows it
   (``continue_if_unchanged``), else, or once the full course is done, ``stop``
   (RESP-REVIEW-UNCHANGED).

>>> r = review_course(3, tnd="mild")
>>> r.decision, r.target_exchanges, r.rule
('continue', 5, 'RESP-REVIEW-IMPROVING')
>>> review_course(3, baseline_edss=4.0, current_edss=5.0).decision
'stop'
>>> review_course(2, tnd="none").decision
'not_due'
"""

from __future__ import annotations

from dataclasses import dataclass, field

from plexms.core.disability import worsening_needed
from plexms.core.errors import InputError
from plexms.core.policy import ResponsePolicy
from plexms.core.vocabulary import TND_GRADES

__all__ = ["REVIEW_DECISIONS", "Review", "review_course"]

REVIEW_DECISIONS = ("not_due", "incomplete", "continue", "stop")
_TND_IMPROVING = ("marked", "moderate", "mild")
# Differences of logMAR values are rounded before comparing (1.3 - 1.2 counts as 0.1).
_PLACES = 6


@dataclass(frozen=True)
class Review:
    """The review's decision, the rule that decided it, and each measure's reading."""

    decision: str
    rule: str
    text: str
    source: str
    exchanges_done: int
    target_exchanges: int | None = None
    missing: tuple[str, ...] = ()
    signals: dict[str, str] = field(default_factory=dict)

    def to_dict(self) -> dict[str, object]:
        """JSON form (the ``review`` of ``calc response``)."""
        return {
            "decision": self.decision,
            "exchanges_done": self.exchanges_done,
            "target_exchanges": self.target_exchanges,
            "signals": dict(self.signals),
            "missing": list(self.missing),
            "rule": self.rule,
            "text": self.text,
            "source": self.source,
        }


def _signals(
    tnd: str | None,
    baseline_edss: float | None,
    current_edss: float | None,
    logmar_gain: float | None,
    policy: ResponsePolicy,
) -> dict[str, str]:
    found: dict[str, str] = {}
    if tnd is not None:
        if tnd not in TND_GRADES:
            raise InputError("tnd", f"unknown grade {tnd!r}", allowed=", ".join(TND_GRADES.values))
        found["tnd"] = (
            "improving" if tnd in _TND_IMPROVING else "worse" if tnd == "worse" else "unchanged"
        )
    if baseline_edss is not None and current_edss is not None:
        change = current_edss - baseline_edss
        if change < 0:
            found["edss"] = "improving"
        elif change >= worsening_needed(baseline_edss):
            found["edss"] = "worse"
        else:
            found["edss"] = "unchanged"
    if logmar_gain is not None:
        gain = round(logmar_gain, _PLACES)
        step = policy.acuity_gain_logmar
        found["acuity"] = "improving" if gain >= step else "worse" if -gain >= step else "unchanged"
    return found


def review_course(
    exchanges_done: int,
    *,
    tnd: str | None = None,
    baseline_edss: float | None = None,
    current_edss: float | None = None,
    logmar_gain: float | None = None,
    policy: ResponsePolicy | None = None,
) -> Review:
    """The stop/continue decision after ``exchanges_done`` exchanges (rules in module doc).

    ``logmar_gain``: baseline minus current logMAR of the affected eye (positive = better).

    >>> review_course(5, logmar_gain=0.0, policy=ResponsePolicy()).rule
    'RESP-REVIEW-UNCHANGED'
    >>> review_course(7, tnd="moderate").decision
    'stop'
    """
    policy = policy or ResponsePolicy()
    if exchanges_done < 0:
        raise InputError("exchanges_done", f"{exchanges_done} is negative", allowed=">= 0")
    due, full, most = (
        policy.review_after_exchange,
        policy.full_course_exchanges,
        policy.max_course_exchanges,
    )
    signals = _signals(tnd, baseline_edss, current_edss, logmar_gain, policy)

    def made(decision: str, rule: str, text: str, source: str, target: int | None = None) -> Review:
        return Review(decision, rule, text, source, exchanges_done, target, (), signals)

    if exchanges_done < due:
        text = f"{exchanges_done} exchange(s) done: the response is reviewed after exchange {due}."
        return made("not_due", "RESP-REVIEW-NOT-DUE", text, "SEED_ARTICLE")
    if not signals:
        text = "No measure of the response so far: grade the targeted deficit, EDSS or acuity."
        return Review(
            "incomplete",
            "RESP-REVIEW-MISSING",
            text,
            "LOCAL_POLICY",
            exchanges_done,
            missing=("tnd", "edss", "logmar"),
        )
    shown = ", ".join(f"{k} {v}" for k, v in signals.items())
    if "worse" in signals.values():
        text = (
            f"After {exchanges_done} exchanges: {shown}. Worse during the course: stop and "
            "review the diagnosis and the treatment."
        )
        return made("stop", "RESP-REVIEW-WORSE", text, "LOCAL_POLICY")
    if "improving" in signals.values():
        if exchanges_done >= most:
            text = f"After {exchanges_done} exchanges ({shown}): the {most}-exchange maximum."
            return made("stop", "RESP-REVIEW-COURSE-DONE", text, "SEED_PROTOCOL")
        target = full if exchanges_done < full else most
        text = (
            f"After {exchanges_done} exchanges: {shown}. Improving: continue to {target} "
            f"exchanges ({full}-{most} while improving)."
        )
        return made("continue", "RESP-REVIEW-IMPROVING", text, "SEED_PROTOCOL", target)
    if policy.continue_if_unchanged and exchanges_done < full:
        text = (
            f"After {exchanges_done} exchanges: {shown}. No change yet (improvement often starts "
            f"late): finish the {full}-exchange course, then stop if still unchanged."
        )
        return made("continue", "RESP-REVIEW-UNCHANGED", text, "LOCAL_POLICY", full)
    text = f"After {exchanges_done} exchanges: {shown}. No response: stop the course."
    return made("stop", "RESP-REVIEW-UNCHANGED", text, "LOCAL_POLICY")
