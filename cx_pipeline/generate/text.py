"""Free-text templates: NPS comments, ticket subjects and bodies, interview notes.

Text is tied to a theme so that voice-of-customer work (theme tagging, sentiment by band) has
something true to find. Picking is vectorised: templates are flattened into one Series and each
row gathers an index.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import polars as pl

# fmt: off
THEMES = (
    "onboarding", "support", "pricing", "reliability", "reporting", "integrations", "ease of use",
)
BANDS = ("detractor", "passive", "promoter")

# What each band talks about (weights over THEMES): detractors mostly complain about support,
# pricing and reliability; promoters mostly praise reporting and ease of use.
COMMENT_THEME_WEIGHTS: dict[str, tuple[int, ...]] = {
    "detractor": (10, 25, 25, 20, 5, 10, 5),
    "passive": (10, 15, 20, 10, 15, 15, 15),
    "promoter": (10, 15, 5, 10, 30, 10, 20),
}
COMMENT_SHARE = 0.6  # share of responses with a comment
GENERIC_COMMENT_SHARE = 0.15  # share of comments that name no theme

COMMENTS: dict[tuple[str, str], tuple[str, ...]] = {
    ("promoter", "onboarding"): (
        "Onboarding was smooth, we were live in two weeks.",
        "The onboarding team got us up and running fast.",
        "Setup was painless and the kickoff call was really helpful",
    ),
    ("promoter", "support"): (
        "Support is always quick and friendly.",
        "Your support team is the best we've worked with!",
        "Every ticket gets a real answer within the hour, love it",
    ),
    ("promoter", "pricing"): (
        "Good value for the money.",
        "Fair pricing for what we get.",
    ),
    ("promoter", "reliability"): (
        "Rock solid, never had an outage that mattered.",
        "It just works, every single day.",
    ),
    ("promoter", "reporting"): (
        "Reporting is fantastic, saves us hours",
        "The dashboards are exactly what our leadership wanted.",
        "Love the reports - our weekly review takes 10 minutes now.",
        "Reporting saves my team a full day every month.",
    ),
    ("promoter", "integrations"): (
        "The Salesforce integration works out of the box.",
        "Integrations with our helpdesk and CRM are seamless.",
    ),
    ("promoter", "ease of use"): (
        "Very easy to use, the whole team adopted it.",
        "Intuitive UI, nobody needed training.",
        "Simple, clean and fast.",
    ),
    ("passive", "onboarding"): (
        "Onboarding took longer than planned but we got there.",
        "Setup was ok, documentation could be clearer.",
    ),
    ("passive", "support"): (
        "Support is ok, sometimes slow to answer.",
        "Support is \"fine\", but we often wait a day for a reply.",
    ),
    ("passive", "pricing"): (
        "A bit pricey for a team our size.",
        "Good product, but the renewal price went up.",
    ),
    ("passive", "reliability"): (
        "Mostly stable, a few slow days last month.",
        "Occasional sync delays, otherwise fine.",
    ),
    ("passive", "reporting"): (
        "Reports are useful but we need more export options.",
        "Would like more flexible dashboards.",
    ),
    ("passive", "integrations"): (
        "Integrations cover the basics; we miss a HubSpot sync.",
        "The API is ok, webhooks would help.",
    ),
    ("passive", "ease of use"): (
        "Does the job. Some screens are confusing.",
        "Good once you learn it, the learning curve is real.",
    ),
    ("detractor", "onboarding"): (
        "Onboarding was a mess, we had to chase your team for weeks.",
        "Implementation took three months instead of three weeks.",
    ),
    ("detractor", "support"): (
        "Support is too slow, tickets sit for days.",
        "Nobody answers the phone and chat replies are canned.",
        "We escalated twice and still no fix. Very disappointed with support",
    ),
    ("detractor", "pricing"): (
        "Too expensive for what it does.",
        "The price increase at renewal was not acceptable.",
        "Pricing per seat makes no sense for us, we're looking at alternatives",
    ),
    ("detractor", "reliability"): (
        "Too many outages this quarter.",
        "Data was missing after the last release, again.",
        "The app is slow and times out, our agents hate it.",
    ),
    ("detractor", "reporting"): (
        "Reports are wrong half the time.",
        "Can't build the report we need without exporting to Excel.",
    ),
    ("detractor", "integrations"): (
        "The Salesforce sync keeps breaking.",
        "Integrations are flaky, we lose data between systems.",
    ),
    ("detractor", "ease of use"): (
        "Hard to use, our team avoids it.",
        "Too many clicks for simple things, frustrating UI.",
    ),
}
GENERIC_COMMENTS: dict[str, tuple[str, ...]] = {
    "promoter": (
        "great", "Great product!", "love it", "Excellent", "Sehr gut", "Muy bueno!", "10/10",
    ),
    "passive": ("ok", "fine", "It's ok.", "good", "meh", "n/a", "Bom"),
    "detractor": ("bad", "not happy", "Disappointed.", "Could be much better", "no", "Malo"),
}

TICKET_CATEGORIES = (
    ("Technical issue", "reliability", 22), ("How-to question", "ease of use", 20),
    ("Bug report", "reliability", 12), ("Billing", "pricing", 12),
    ("Account access", "support", 10), ("Integrations", "integrations", 10),
    ("Reporting", "reporting", 9), ("Onboarding", "onboarding", 5),
)
# (subject, first message) pairs per category.
TICKETS: dict[str, tuple[tuple[str, str], ...]] = {
    "Technical issue": (
        ("Dashboard not loading",
         "Since this morning the dashboard keeps spinning and never loads. Cleared cache already."),
        ("Sync stuck since this morning",
         "Our sync has been stuck for hours, agents can't see new conversations."),
        ("Error 500 when saving", "We get an error when saving a view. Screenshot attached."),
        ("App is very slow today", "Every page takes 20+ seconds to load for the whole team."),
        ("Timeout on export", "Exports of more than a month of data time out."),
    ),
    "How-to question": (
        ("How do I add a new user?",
         "Hi, how do I add a colleague? I couldn't find it in the docs."),
        ("How to change survey schedule",
         "Quick question from our team, can we send the survey monthly instead of quarterly?"),
        ("Question about filters", "Is there a way to save a filter and share it with my team?"),
        ("Where can I find the audit log?",
         "Our security team asks for the audit log, where is it?"),
        ("How to set up alerts", "Can you point me to the right help article for alerts? Thanks!"),
    ),
    "Bug report": (
        ("Wrong numbers in weekly report",
         "The numbers in the weekly report don't match what we see in the raw data."),
        ("Button does nothing in Firefox",
         "Steps to reproduce: open Settings in Firefox, click Save, nothing happens."),
        ("Duplicate records after import", "After importing our file every record appears twice."),
        ("Date filter ignores timezone",
         "The 'yesterday' filter uses UTC, not our timezone, so numbers are off."),
    ),
    "Billing": (
        ("Invoice question", "Please check our last invoice, the amount looks wrong."),
        ("Charged twice this month", "Our card was charged twice for October, please refund one."),
        ("Update billing address", "We need the invoice re-issued with our new address."),
        ("Request for a quote", "Can you send a quote for adding 20 seats?"),
        ("VAT number missing on invoice", "Our VAT number is missing, finance can't book it."),
    ),
    "Account access": (
        ("Can't log in", "I can't log in, the reset email never arrives."),
        ("Password reset email not arriving", "Tried three times, no reset email (checked spam)."),
        ("SSO login fails",
         "Our SSO login stopped working after we changed identity provider."),
        ("Locked out after MFA change", "I got a new phone and now I'm locked out."),
        ("Please remove a former employee",
         "Please deactivate the account of a colleague who left."),
    ),
    "Integrations": (
        ("Salesforce sync failing",
         "The Salesforce sync fails with 'invalid session' every night."),
        ("Zendesk integration disconnected",
         "The integration shows 'disconnected' and reconnecting does not help."),
        ("API rate limit errors", "We are hitting rate limits on the API during our nightly job."),
        ("Webhook not firing", "Webhooks stopped arriving on our endpoint yesterday."),
        ("Slack notifications stopped",
         "No Slack alerts since Monday, nothing changed on our side."),
    ),
    "Reporting": (
        ("Export to CSV broken", "The CSV export downloads an empty file."),
        ("Need a custom report", "We need a report by region and month, is that possible?"),
        ("Scheduled report not sent", "The scheduled report did not go out on Monday."),
        ("Chart shows no data", "The NPS trend chart is empty although we have responses."),
    ),
    "Onboarding": (
        ("Kickoff call scheduling", "We'd like to schedule our kickoff call next week."),
        ("Help with initial setup", "Could someone walk us through the initial configuration?"),
        ("Data import for onboarding", "Could someone help us import our historical data?"),
        ("Training session request", "Can we book a training session for the new team?"),
    ),
}

INTERVIEW_NOTES: dict[str, tuple[str, ...]] = {
    "onboarding": (
        "Onboarding felt long; they wanted a checklist and a named contact.",
        "Praised the kickoff, but the data import step confused the admins.",
    ),
    "support": (
        "Frustrated with response times on urgent tickets.",
        "Support quality is a reason they renewed.",
    ),
    "pricing": (
        "Budget under pressure; the per-seat price is the main objection.",
        "Would pay more for advanced analytics if bundled.",
    ),
    "reliability": (
        "Two outages last quarter hurt trust with their leadership.",
        "Stability is fine now after the sync fixes.",
    ),
    "reporting": (
        "Reporting is the main reason they bought; want scheduled exports.",
        "Build their board pack from our dashboards every month.",
    ),
    "integrations": (
        "Need a deeper CRM integration before rolling out to sales.",
        "The helpdesk integration saves agents a lot of copy-paste.",
    ),
    "ease of use": (
        "New hires are productive on day one, UI is clear.",
        "Admin screens are confusing; too many settings.",
    ),
}
INTERVIEW_EXTRA_TAGS = (("", 60), ("churn-risk", 15), ("expansion", 15), ("champion", 10))
# fmt: on


class TemplateTable:
    """Templates grouped by key, flattened so that rows can pick one with numpy indices."""

    def __init__(self, groups: Sequence[Sequence[str]]) -> None:
        counts = np.array([len(g) for g in groups], dtype=np.int64)
        if (counts == 0).any():
            raise ValueError("every template group needs at least one template")
        self.counts = counts
        self.offsets = np.concatenate([[0], np.cumsum(counts)[:-1]]).astype(np.int64)
        self.flat = pl.Series("text", [t for g in groups for t in g], dtype=pl.String)

    def pick(self, rng: np.random.Generator, group: np.ndarray) -> np.ndarray:
        """Index into `flat` of a uniformly chosen template of each row's group."""
        within = np.floor(rng.random(group.size) * self.counts[group]).astype(np.int64)
        return self.offsets[group] + within

    def text(self, index: np.ndarray, name: str) -> pl.Series:
        return self.flat.gather(index).alias(name)


def comment_table() -> TemplateTable:
    """Groups 0..20: band-major, theme-minor; groups 21..23: generic comments per band."""
    groups = [COMMENTS[(b, t)] for b in BANDS for t in THEMES]
    groups += [GENERIC_COMMENTS[b] for b in BANDS]
    return TemplateTable(groups)
