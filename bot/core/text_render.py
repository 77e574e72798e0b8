"""Results as plain text: what the console, ``python -m bot`` and mention replies show."""

from __future__ import annotations

from .answers import format_event_line, render_brief_text
from .ask import Answer, AskResult, render_ask_text
from .results import (
    BriefFound,
    DailyPreview,
    DayEvents,
    HelpText,
    Listing,
    NotFound,
    Result,
    SearchFound,
    SourceFound,
    TimelineFound,
)

INTRO = "Safeer briefs you on Pakistan–Azerbaijan relations. Every fact names its source."


def best_answer_line(answer: Answer) -> str:
    """One line for the fact that best answers a search: what, then the source and its date."""
    doc = answer.document
    source = f"{doc.title}, {doc.published.human()}" if doc else answer.fact.source
    return f"Best answer: {answer.fact.text} ({source}) [brief {answer.brief.id}]"


def render_text(result: Result) -> str:
    """The plain-text form of any command's result."""
    match result:
        case AskResult():
            return render_ask_text(result)
        case NotFound():
            return result.text()
        case BriefFound(answer):
            return render_brief_text(answer)
        case SearchFound(_, found, answer):
            lines = [best_answer_line(answer), ""] if answer else []
            for k, m in enumerate(found.matches):
                mark = " (best match)" if k == 0 and not found.weak else ""
                lines.append(f"{k + 1}. {m.brief.title}{mark} — {m.brief.summary}  [brief {m.brief.id}]")
            if found.weak and found.suggestions:
                lines.append(f"Did you mean: {'; '.join(found.suggestions)}?")
            return "\n".join(lines)
        case DayEvents(label, _, _, _, lines):
            if not lines:
                return f"On {label}: no recorded events in Pakistan–Azerbaijan relations."
            return "\n".join([f"On {label}:", *(format_event_line(line) for line in lines)])
        case TimelineFound(title, _, lines):
            if not lines:
                return f"{title}: no dated events in that range."
            return "\n".join([f"{title}:", *(format_event_line(line) for line in lines)])
        case SourceFound(doc):
            return (f"{doc.title}\n{doc.kind}, {doc.author}\n{doc.place}, {doc.published.human()}\n"
                    f"id: {doc.id} (original file {doc.original_file})\n\n{doc.excerpt()}")
        case HelpText(entries):
            width = max(len(e.usage) for e in entries)
            return "\n".join([INTRO, "", *(f"  {e.usage:<{width}}  {e.description}.  e.g. `{e.example}`"
                                           for e in entries)])
        case Listing(briefs, documents):
            out = [f"Briefs ({len(briefs)}):"]
            out += [f"  {title}  [{bid}, {kind}]" for bid, title, kind in briefs]
            out += ["", f"Documents ({len(documents)}):"]
            out += [f"  {published} — {title}  [{did}]" for did, title, published in documents]
            return "\n".join(out)
        case DailyPreview(_, text):
            return text or "Nothing to post."
    raise TypeError(f"no text form for {type(result).__name__}")  # pragma: no cover - a new result type
