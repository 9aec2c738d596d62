"""The canonical extract contract: one definition per entity of the four sources.

Vendor exports are mapped onto these columns by adapters; the canonical format is what the
sample data and the generator write. `docs/extracts.md` is rendered from this module.
"""

from __future__ import annotations

from cx_pipeline.contract.schema import Column, Entity

REGIONS = ("North America", "EMEA", "APAC", "LATAM")
TICKET_CHANNELS = ("email", "chat", "phone", "web", "social")
TICKET_PRIORITIES = ("low", "normal", "high", "urgent")
TICKET_STATUSES = ("new", "open", "pending", "solved", "closed")
# A ticket's history also knows "hold" (waiting on a third party); the ticket's current status maps
# it to open.
TICKET_EVENT_STATUSES = ("new", "open", "pending", "hold", "solved", "closed")
TOUCHPOINTS = ("relationship", "onboarding", "support", "renewal", "in_app")
# Question types of survey_answers and the score range of each rated one.
QUESTION_TYPES = ("nps", "csat", "ces", "pmf", "reason")
SCORE_RANGES = (("nps", 0, 10), ("csat", 1, 5), ("ces", 1, 7))
# The Sean Ellis product-market-fit question: "How would you feel if you could no longer use
# the product?"
PMF_CHOICES = ("very_disappointed", "somewhat_disappointed", "not_disappointed")
INVITATION_CHANNELS = ("email", "sms", "in_app", "web", "link")
# What became of a closed-loop follow-up, as its owner recorded it: no_answer (tried, could not
# reach the person), reached (spoke with them), recovered (spoke with them and the problem was
# put right, by their own account), lost (the customer is leaving or has left).
FOLLOWUP_OUTCOMES = ("no_answer", "reached", "recovered", "lost")

ACCOUNTS = Entity(
    source="crm",
    name="accounts",
    description="Customer organisations, one row per account in the CRM snapshot.",
    key="account_id",
    file_format="csv",
    delivery="snapshot",
    columns=(
        Column("account_id", "string", "CRM account identifier.", required=True),
        Column("name", "string", "Account (company) name.", required=True),
        Column("industry", "string", "Industry as recorded in the CRM."),
        Column("region", "string", "Sales region.", allowed=REGIONS),
        Column("country", "string", "ISO 3166-1 alpha-2 country code."),
        Column("employees", "integer", "Employee head-count.", minimum=0),
        Column("arr", "decimal", "Annual recurring revenue in the reporting currency.", minimum=0),
        Column(
            "created_at", "timestamp", "When the account was created in the CRM.", required=True
        ),
        Column(
            "domain",
            "string",
            "Company web domain (acme.com); links e-mail addresses of people the CRM does not "
            "know to the account.",
        ),
    ),
)

CONTACTS = Entity(
    source="crm",
    name="contacts",
    description="People at customer accounts, one row per contact in the CRM snapshot.",
    key="contact_id",
    file_format="csv",
    delivery="snapshot",
    optional=True,
    columns=(
        Column("contact_id", "string", "CRM contact identifier.", required=True),
        Column(
            "account_id",
            "string",
            "Account the contact belongs to.",
            required=True,
            references="accounts.account_id",
        ),
        Column("email", "string", "Work e-mail address.", personal=True),
        Column("full_name", "string", "Full name.", personal=True),
        Column("job_title", "string", "Job title as typed in the CRM (drives influence level)."),
        Column(
            "created_at", "timestamp", "When the contact was created in the CRM.", required=True
        ),
    ),
)

SUBSCRIPTIONS = Entity(
    source="crm",
    name="subscriptions",
    description=(
        "Product subscriptions of accounts; an account is a customer while one of them is active."
    ),
    key="subscription_id",
    file_format="csv",
    delivery="snapshot",
    columns=(
        Column("subscription_id", "string", "Subscription identifier.", required=True),
        Column(
            "account_id",
            "string",
            "Subscribing account.",
            required=True,
            references="accounts.account_id",
        ),
        Column("product", "string", "Product subscribed to.", required=True),
        Column("plan", "string", "Plan or edition."),
        Column("mrr", "decimal", "Monthly recurring revenue of this subscription.", minimum=0),
        Column("started_at", "timestamp", "Start of the subscription.", required=True),
        Column(
            "ended_at",
            "timestamp",
            "End of the subscription; empty while it runs. May lie after the delivery day when "
            "a cancellation is scheduled.",
            not_before="started_at",
            may_be_future=True,
        ),
        Column("cancel_reason", "string", "Reason given at cancellation, free text."),
        Column(
            "currency",
            "string",
            "ISO 4217 code of the currency mrr is in (EUR, GBP...); empty means the reporting "
            "currency (CX_REPORTING_CURRENCY). Other currencies are converted with the dated "
            "rates in the exchange_rates reference table.",
        ),
    ),
)

TICKETS = Entity(
    source="support",
    name="tickets",
    description="Support tickets with their timings, CSAT and text.",
    key="ticket_id",
    file_format="csv",
    delivery="events",
    optional=True,
    columns=(
        Column("ticket_id", "string", "Help-desk ticket identifier.", required=True),
        Column(
            "account_id",
            "string",
            "Requester's account.",
            references="accounts.account_id",
        ),
        Column(
            "contact_id",
            "string",
            "Requester (CRM contact id).",
            references="contacts.contact_id",
        ),
        Column("created_at", "timestamp", "When the ticket was opened.", required=True),
        Column("first_response_at", "timestamp", "First agent reply.", not_before="created_at"),
        Column("solved_at", "timestamp", "When the ticket was solved.", not_before="created_at"),
        Column("channel", "string", "Channel the ticket came in by.", allowed=TICKET_CHANNELS),
        Column("priority", "string", "Priority.", allowed=TICKET_PRIORITIES),
        Column("status", "string", "Status at extract time.", allowed=TICKET_STATUSES),
        Column("category", "string", "Help-desk category or form."),
        Column("subject", "string", "Subject line.", personal=True, free_text=True),
        Column(
            "description",
            "string",
            "First message of the requester.",
            personal=True,
            free_text=True,
        ),
        Column("csat_score", "integer", "Satisfaction rating 1-5.", minimum=1, maximum=5),
        Column(
            "requester_email",
            "string",
            "Requester's e-mail as the help desk knows it; resolves the contact when contact_id "
            "is empty.",
            personal=True,
        ),
        Column(
            "assignee_id",
            "string",
            "Help-desk id of the agent the ticket is assigned to at extract time.",
        ),
        Column(
            "group_id",
            "string",
            "Help-desk id (or name) of the support group (team) the ticket is assigned to.",
        ),
    ),
)

TICKET_EVENTS = Entity(
    source="support",
    name="ticket_events",
    description=(
        "A ticket's history: each status change and each public agent reply, with when it "
        "happened (Zendesk's ticket audits or field history). Optional: without it the support "
        "marts measure first reply and resolution from the tickets alone, and leave reopens, "
        "touches, requester wait and agent work time empty."
    ),
    key="event_id",
    file_format="csv",
    delivery="events",
    optional=True,
    columns=(
        Column("event_id", "string", "Event (audit) identifier.", required=True),
        Column(
            "ticket_id",
            "string",
            "Ticket the event belongs to.",
            required=True,
            references="tickets.ticket_id",
        ),
        Column("occurred_at", "timestamp", "When it happened.", required=True),
        Column(
            "status",
            "string",
            "The ticket's status from this event on; empty when the event left it unchanged.",
            allowed=TICKET_EVENT_STATUSES,
        ),
        Column(
            "is_public_agent_reply",
            "boolean",
            "The event is a public reply (comment) by an agent to the requester.",
        ),
    ),
)

EVENTS = Entity(
    source="analytics",
    name="events",
    description="Product analytics events; the largest source, delivered as Parquet.",
    key="event_id",
    file_format="parquet",
    delivery="events",
    optional=True,
    columns=(
        Column("event_id", "string", "Event identifier.", required=True),
        Column(
            "contact_id",
            "string",
            "User who did it (CRM contact id).",
            references="contacts.contact_id",
        ),
        Column("account_id", "string", "User's account.", references="accounts.account_id"),
        Column("occurred_at", "timestamp", "When the event happened.", required=True),
        Column("event_name", "string", "Event name, e.g. 'report_created'.", required=True),
        Column("session_id", "string", "Session identifier."),
        Column("properties", "json", "Event properties as a JSON object."),
        Column(
            "anonymous_id",
            "string",
            "Device or browser id (Segment's anonymousId); links events before login to the "
            "user seen with it after.",
            personal=True,
        ),
    ),
)

NPS_RESPONSES = Entity(
    source="surveys",
    name="nps_responses",
    description="Answers to the 0-10 likelihood-to-recommend question, with the comment.",
    key="response_id",
    file_format="csv",
    delivery="events",
    optional=True,
    columns=(
        Column("response_id", "string", "Survey response identifier.", required=True),
        Column(
            "contact_id",
            "string",
            "Respondent (CRM contact id).",
            references="contacts.contact_id",
        ),
        Column(
            "account_id",
            "string",
            "Respondent's account.",
            references="accounts.account_id",
        ),
        Column("survey_id", "string", "Survey or campaign identifier."),
        Column("touchpoint", "string", "Moment the survey was sent at.", allowed=TOUCHPOINTS),
        Column("submitted_at", "timestamp", "When the answer was submitted.", required=True),
        Column(
            "score",
            "integer",
            "Likelihood to recommend, 0-10.",
            required=True,
            minimum=0,
            maximum=10,
        ),
        Column("comment", "string", "Free-text answer to 'why?'.", personal=True, free_text=True),
        Column(
            "respondent_email",
            "string",
            "Respondent's e-mail as the survey tool knows it; resolves the contact when "
            "contact_id is empty.",
            personal=True,
        ),
    ),
)

SURVEY_ANSWERS = Entity(
    source="surveys",
    name="survey_answers",
    description=(
        "Answers to the questions of a survey, one row per (response, question): NPS, CSAT, "
        "CES, the product-market-fit question and free-text reasons. nps_responses stays the "
        "home of NPS answers; this entity carries the other questions (and may repeat the NPS "
        "one, whose marts keep reading nps_responses)."
    ),
    key="answer_id",
    file_format="csv",
    delivery="events",
    optional=True,
    columns=(
        Column(
            "answer_id",
            "string",
            "Identifier of the answer: the response id and question id joined "
            "(`<response_id>:<question_id>`), or the response id when a response holds one "
            "question.",
            required=True,
        ),
        Column(
            "response_id",
            "string",
            "The response the answer belongs to: answers given together share it, and a "
            "reason is read against the NPS score of the same response (in this entity or in "
            "nps_responses).",
            required=True,
        ),
        Column(
            "contact_id",
            "string",
            "Respondent (CRM contact id).",
            references="contacts.contact_id",
        ),
        Column("account_id", "string", "Respondent's account.", references="accounts.account_id"),
        Column("survey_id", "string", "Survey or campaign identifier."),
        Column("touchpoint", "string", "Moment the survey was sent at.", allowed=TOUCHPOINTS),
        Column("submitted_at", "timestamp", "When the answer was submitted.", required=True),
        Column("question_id", "string", "The question's identifier in the survey tool."),
        Column(
            "question_type",
            "string",
            "What the question asks: nps (likelihood to recommend, 0-10), csat (satisfaction, "
            "1-5), ces (customer effort, 1-7, 7 = easiest), pmf (how disappointed if the product "
            "were gone), reason (free text: the main reason for the score).",
            required=True,
            allowed=QUESTION_TYPES,
        ),
        Column(
            "score",
            "integer",
            "The rating of an nps, csat or ces question, in that type's range.",
            minimum=0,
            maximum=10,
            depends_on="question_type",
            required_for=tuple(kind for kind, _, _ in SCORE_RANGES),
            ranges_for=SCORE_RANGES,
        ),
        Column(
            "choice",
            "string",
            "The option chosen on a pmf question.",
            allowed=PMF_CHOICES,
            depends_on="question_type",
            required_for=("pmf",),
        ),
        Column(
            "text",
            "string",
            "The free-text answer of a reason question, or a comment given with a rating.",
            personal=True,
            free_text=True,
        ),
        Column(
            "respondent_email",
            "string",
            "Respondent's e-mail as the survey tool knows it; resolves the contact when "
            "contact_id is empty.",
            personal=True,
        ),
    ),
)

SURVEY_INVITATIONS = Entity(
    source="surveys",
    name="survey_invitations",
    description=(
        "Survey invitations sent to contacts, with what became of each: opened, answered, "
        "bounced or unsubscribed. The base of response rates and of who does not answer."
    ),
    key="invitation_id",
    file_format="csv",
    delivery="events",
    optional=True,
    notes=(
        "An invitation's later fate (opened, answered) re-delivers its row: the latest "
        "delivery wins, as for every events entity.",
    ),
    columns=(
        Column("invitation_id", "string", "Survey invitation identifier.", required=True),
        Column(
            "contact_id",
            "string",
            "Invited person (CRM contact id).",
            references="contacts.contact_id",
        ),
        Column(
            "account_id",
            "string",
            "Invited person's account.",
            references="accounts.account_id",
        ),
        Column(
            "recipient_email",
            "string",
            "Address the invitation went to; resolves the contact when contact_id is empty.",
            personal=True,
        ),
        Column("survey_id", "string", "Survey or campaign identifier."),
        Column("touchpoint", "string", "Moment the survey was sent at.", allowed=TOUCHPOINTS),
        Column(
            "channel",
            "string",
            "How the invitation reached the person.",
            allowed=INVITATION_CHANNELS,
        ),
        Column("sent_at", "timestamp", "When the invitation was sent.", required=True),
        Column("opened_at", "timestamp", "When it was first opened.", not_before="sent_at"),
        Column(
            "response_id",
            "string",
            "The answer it brought (nps_responses.response_id); empty while unanswered.",
            references="nps_responses.response_id",
        ),
        Column("bounced", "boolean", "The invitation could not be delivered."),
        Column("unsubscribed", "boolean", "The person opted out of surveys from it."),
    ),
)

FOLLOWUPS = Entity(
    source="surveys",
    name="followups",
    description=(
        "Closed-loop follow-ups: one row per action taken on a survey answer (a detractor, "
        "mostly) or on a person or account, with when it was opened, when the person was first "
        "reached, when it was closed, who owned it, what came of it and the root cause found. "
        "Tasks of a CRM or a help desk (Salesforce or HubSpot tasks, Zendesk tickets tagged for "
        "the loop) map onto it. Optional: without it the closed-loop marts are skipped and the "
        "detractor work list leaves who was reached empty."
    ),
    key="followup_id",
    file_format="csv",
    delivery="events",
    optional=True,
    notes=(
        "A follow-up's later progress (first contact, closing) re-delivers its row: the latest "
        "delivery wins, as for every events entity.",
    ),
    columns=(
        Column("followup_id", "string", "Follow-up (task) identifier.", required=True),
        Column(
            "response_id",
            "string",
            "The answer followed up (nps_responses.response_id); empty for a follow-up on a "
            "person or an account, which counts for the person's latest answer before it.",
            references="nps_responses.response_id",
        ),
        Column(
            "contact_id",
            "string",
            "The person followed up (CRM contact id).",
            references="contacts.contact_id",
        ),
        Column(
            "account_id",
            "string",
            "The account followed up.",
            references="accounts.account_id",
        ),
        Column("created_at", "timestamp", "When the follow-up was opened.", required=True),
        Column(
            "first_contact_at",
            "timestamp",
            "When the person was first reached (a conversation, not a voicemail); empty while "
            "nobody has been reached.",
            not_before="created_at",
            depends_on="outcome",
            required_for=("reached", "recovered"),
        ),
        Column(
            "closed_at",
            "timestamp",
            "When the follow-up was closed; empty while it is open.",
            not_before="created_at",
        ),
        Column(
            "owner", "string", "Who owns the follow-up (CSM or agent id or name).", personal=True
        ),
        Column(
            "outcome",
            "string",
            "What came of it: no_answer (tried, could not reach the person), reached (spoke with "
            "them), recovered (spoke with them and the problem was put right, by their own "
            "account), lost (the customer is leaving or has left); empty while open.",
            allowed=FOLLOWUP_OUTCOMES,
        ),
        Column(
            "root_cause",
            "string",
            "The root cause found, as the owner wrote it (a code or free text).",
            personal=True,
            free_text=True,
        ),
    ),
)

INTERVIEWS = Entity(
    source="surveys",
    name="interviews",
    description="Customer interview notes: the qualitative tracker tying voices to segments.",
    key="interview_id",
    file_format="csv",
    delivery="events",
    optional=True,
    columns=(
        Column("interview_id", "string", "Interview identifier.", required=True),
        Column(
            "contact_id",
            "string",
            "Interviewed contact.",
            references="contacts.contact_id",
        ),
        Column("interviewed_at", "timestamp", "When the interview took place.", required=True),
        Column("notes", "string", "Interviewer's notes.", personal=True, free_text=True),
        Column("tags", "string", "Semicolon-separated tags."),
    ),
)

ENTITIES: tuple[Entity, ...] = (
    ACCOUNTS,
    CONTACTS,
    SUBSCRIPTIONS,
    TICKETS,
    TICKET_EVENTS,
    EVENTS,
    NPS_RESPONSES,
    SURVEY_ANSWERS,
    SURVEY_INVITATIONS,
    INTERVIEWS,
    FOLLOWUPS,
)

FORMAT_NOTES = (
    "Extracts live under one root folder as `<source>/<YYYY-MM-DD>/<entity>.<ext>`; the date is "
    "the delivery day. A large entity may be split as `<entity>-<part>.<ext>`.",
    'CSV files are UTF-8, comma-separated, with a header row, double-quote quoting and `""` as '
    "the escaped quote. An empty field is a null.",
    "Timestamps are ISO 8601. A timestamp with an offset (`2026-03-01T09:30:00Z`, "
    "`+02:00`) is converted to UTC; one without an offset is taken as UTC.",
    "`snapshot` entities deliver the whole table each day; `events` entities deliver the rows "
    "that arrived that day. Re-delivering a key replaces the earlier version in staging. A key "
    "missing from a snapshot entity's latest delivery was deleted at the source: it leaves "
    "staging and the marts (raw keeps every day's snapshot); a key whose latest row was "
    "quarantined keeps its last good row.",
    "Columns in the file that the contract does not list are reported and kept in raw's `_extra` "
    "(a JSON object per row); optional columns missing from the file load as nulls; a missing "
    "required column rejects the file.",
)


def entity(name: str) -> Entity:
    """Look an entity up by `name` or `source.name`."""
    for e in ENTITIES:
        if name in (e.name, e.qualified_name):
            return e
    known = ", ".join(e.qualified_name for e in ENTITIES)
    raise KeyError(f"unknown entity {name!r}; known entities: {known}")
