-- Business rules, defined once, so staging, marts and ad-hoc queries all use the same
-- definitions. A DuckDB warehouse file keeps them as macros (rewritten by the first connection
-- that writes after they change), so SQL clients can call them too, but for
-- mask_contact_details(), which calls the pipeline's Python function mask_personal_numbers().
-- On a DuckLake, and on a file opened read-only while it holds another release's rules, they
-- are temporary macros of each connection (found before stored ones). Written as TEMP macros
-- here; resources.py stores them without TEMP.

-- NPS bands: promoter 9-10, passive 7-8, detractor 0-6.
CREATE OR REPLACE TEMP MACRO nps_category(score) AS
    CASE
        WHEN score BETWEEN 9 AND 10 THEN 'promoter'
        WHEN score BETWEEN 7 AND 8 THEN 'passive'
        WHEN score BETWEEN 0 AND 6 THEN 'detractor'
    END;

-- NPS = 100 x (promoters - detractors) / responses; null when there are no responses.
CREATE OR REPLACE TEMP MACRO nps(promoters, detractors, responses) AS
    CASE WHEN responses > 0 THEN 100.0 * (promoters - detractors) / responses END;

-- The adjusted Wald interval of NPS (Rocks 2016; Sauro & Lewis): add 3/4 to the promoters and to
-- the detractors and 3 to the responses, then use the normal approximation on those adjusted
-- shares. Defined once here; the interval and the change test both use it.
-- Adjusted NPS in points, the centre of the interval: 100 x (promoters - detractors) / (n + 3)
-- (the two 3/4 cancel). It is not the raw NPS: the interval leans towards 0 on small samples.
CREATE OR REPLACE TEMP MACRO nps_adjusted(promoters, detractors, responses) AS
    CASE WHEN responses > 0 THEN 100.0 * (promoters - detractors) / (responses + 3.0) END;

-- Sampling variance of the adjusted NPS in fraction units (NPS / 100): (p + d - (p - d)^2) / (n + 3)
-- with p = (promoters + 3/4) / (n + 3) and d = (detractors + 3/4) / (n + 3); null when n = 0.
CREATE OR REPLACE TEMP MACRO nps_adjusted_variance(promoters, detractors, responses) AS
    CASE WHEN responses > 0 THEN
        ((promoters + 0.75) / (responses + 3.0)
         + (detractors + 0.75) / (responses + 3.0)
         - pow((promoters + 0.75) / (responses + 3.0)
               - (detractors + 0.75) / (responses + 3.0), 2))
        / (responses + 3.0)
    END;

-- 95% margin of error of NPS in points: half the width of the adjusted Wald interval,
-- 100 x 1.96 x sqrt(adjusted variance). The interval is centred on the adjusted NPS, so
-- nps +/- this is not the interval: publish nps_low_95 and nps_high_95 beside it.
CREATE OR REPLACE TEMP MACRO nps_moe_95(promoters, detractors, responses) AS
    100.0 * 1.96 * sqrt(nps_adjusted_variance(promoters, detractors, responses));

-- Bounds of the 95% adjusted Wald interval in points: adjusted NPS -/+ the margin of error,
-- clipped to the scale's -100..100 (an NPS cannot lie outside it); null when n = 0.
CREATE OR REPLACE TEMP MACRO nps_low_95(promoters, detractors, responses) AS
    CASE WHEN responses > 0 THEN
        greatest(-100.0, nps_adjusted(promoters, detractors, responses)
                         - nps_moe_95(promoters, detractors, responses))
    END;
CREATE OR REPLACE TEMP MACRO nps_high_95(promoters, detractors, responses) AS
    CASE WHEN responses > 0 THEN
        least(100.0, nps_adjusted(promoters, detractors, responses)
                     + nps_moe_95(promoters, detractors, responses))
    END;

-- Revenue tier from ARR with configurable cut-offs (defaults 10k and 100k).
CREATE OR REPLACE TEMP MACRO revenue_tier(arr, mid_market_from, enterprise_from) AS
    CASE
        WHEN arr IS NULL THEN 'unknown'
        WHEN arr >= enterprise_from THEN 'enterprise'
        WHEN arr >= mid_market_from THEN 'mid-market'
        ELSE 'SMB'
    END;

-- Phone numbers, IBANs and card numbers in free text are found by mask_personal_numbers(), a
-- Python function (cx_pipeline/privacy/contact_details.py: libphonenumber for phones read in the
-- CX_PHONE_REGIONS countries, ISO 13616 mod-97 for IBANs, Luhn for cards) registered on every
-- connection before these macros. Only a text with 7 or more digits close together (at most 3
-- other characters between two of them, as in +44 (0)20 7946 0958) can hold one, so only those
-- texts are handed to it: most free text never leaves SQL.
CREATE OR REPLACE TEMP MACRO may_hold_personal_number(text) AS
    regexp_matches(text, '[0-9](?:[^0-9A-Za-z]{0,3}[0-9]){6}');

-- E-mail addresses, phone numbers, IBANs and card numbers inside free text (comments, ticket
-- text, interview notes) are masked on their way into staging, so they never reach the marts or
-- the serving file. What only looks like a number of a person (a version, an IP address, an
-- order number, a date, a year range) is kept.
CREATE OR REPLACE TEMP MACRO mask_emails(text) AS
    regexp_replace(
        text, '[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}', '[email]', 'g'
    );
CREATE OR REPLACE TEMP MACRO mask_contact_details(text) AS
    CASE
        WHEN may_hold_personal_number(text) THEN mask_personal_numbers(mask_emails(text))
        ELSE mask_emails(text)
    END;

-- Whole months from one day to another: 31 Jan to 1 Mar is 1 month, not 2 (the tenure that
-- tenure bands and survival curves count in).
CREATE OR REPLACE TEMP MACRO whole_months(since, day) AS date_sub('month', since, day);

-- Tenure bands from whole months as a customer.
CREATE OR REPLACE TEMP MACRO tenure_band(months) AS
    CASE
        WHEN months IS NULL THEN 'unknown'
        WHEN months < 6 THEN '0-5 months'
        WHEN months < 12 THEN '6-11 months'
        WHEN months < 24 THEN '1-2 years'
        ELSE '2+ years'
    END;

-- Tenure on day d is measured from the start of the account's customer spell running on d:
-- marts.customer_spells joined on active_on(spell_start, spell_end, d), so a return after a gap
-- starts again at 0 (DESIGN.md, "Customer spells"). With no spell running on d (before the
-- first subscription, or in a gap) the account is 'not a customer', never a negative or a
-- gap-counting tenure. `since` is that spell's start, null when none runs; `d` the day it is
-- measured to (for churn, the month's first day of a spell running on the day before).
CREATE OR REPLACE TEMP MACRO spell_tenure_band(since, d) AS
    CASE WHEN since IS NULL THEN 'not a customer'
         ELSE tenure_band(whole_months(since, d)) END;

-- The calendar day of a UTC timestamp in the reporting timezone.
CREATE OR REPLACE TEMP MACRO local_day(ts, tz) AS CAST(timezone(tz, ts) AS DATE);

-- The first day of the calendar month of a UTC timestamp in the reporting timezone.
CREATE OR REPLACE TEMP MACRO local_month(ts, tz) AS
    CAST(date_trunc('month', timezone(tz, ts)) AS DATE);

-- A subscription is active on day d when it started on or before d and has not ended by d (no
-- end day: it runs on). Written as two comparisons, so a join on it stays a hash or range join
-- (an OR in a join condition makes DuckDB compare every pair of rows).
CREATE OR REPLACE TEMP MACRO active_on(start_day, end_day, d) AS
    start_day <= d AND coalesce(end_day, CAST('infinity' AS DATE)) > d;

-- Product usage is measured over the last 30 days up to the as-of date.
CREATE OR REPLACE TEMP MACRO usage_window_days() AS 30;

-- The account's own usage baseline: the usage windows before the last one (3 x 30 = 90 days,
-- days 31-120 before the day), averaged per window.
CREATE OR REPLACE TEMP MACRO usage_baseline_windows() AS 3;

-- How far back from a day its usage figures read: the last window and the baseline's windows
-- (120 days). An event day moves the figures of the days from it to this many days after it.
CREATE OR REPLACE TEMP MACRO usage_history_days() AS
    (1 + usage_baseline_windows()) * usage_window_days();

-- Usage fell: a new drop against the account's own baseline. Events in the last usage window
-- are below 30% of the baseline's average per window, while the window before was still at
-- least half that average (the drop began in the last window; a lasting fall stays visible as
-- low usage, not as a new drop). Judged only when the baseline averages at least 10 events per
-- window (fewer is noise, not a trend). events_baseline counts the usage_baseline_windows()
-- windows before the last one, so it includes events_previous.
-- Why not "below half of the 30 days before" (the old rule): one noisy month fires it, and on the
-- generated data it flagged 3x as many account-months at half the next-month churn.
CREATE OR REPLACE TEMP MACRO usage_fell(events_last, events_previous, events_baseline) AS
    coalesce(
        events_baseline >= 10 * usage_baseline_windows()
        AND events_last < 0.3 * events_baseline / usage_baseline_windows()
        AND events_previous >= 0.5 * events_baseline / usage_baseline_windows(),
        false
    );

-- An NPS answer still speaks for its account on day d when it was given in the 180 days to d
-- (d - 180 < answer day <= d): the window of the health score's latest answer, of an at-risk
-- detractor and of a champion's promoter answer.
CREATE OR REPLACE TEMP MACRO nps_answer_is_recent(answer_day, d) AS
    answer_day > d - 180 AND answer_day <= d;

-- An escalation is a ticket of high or urgent priority.
CREATE OR REPLACE TEMP MACRO is_escalation(priority) AS priority IN ('high', 'urgent');

-- A ticket is open while its status is new, open or pending (solved and closed are done).
CREATE OR REPLACE TEMP MACRO is_open_status(status) AS status IN ('new', 'open', 'pending');

-- A ticket is open on day d when it was created by d and not solved by d. Without a solve time
-- its current status decides: a ticket closed with no solve time is not open on any day (when
-- it closed is unknown), so no closed ticket stays open for ever.
CREATE OR REPLACE TEMP MACRO ticket_open_on(created_day, solved_day, status, d) AS
    created_day <= d
    AND CASE WHEN solved_day IS NULL THEN is_open_status(status) ELSE solved_day > d END;

-- Slow first response: the median time to first response of an account's tickets answered in
-- the 180 days to the day is over this many hours.
CREATE OR REPLACE TEMP MACRO slow_first_response_hours() AS 24;

-- A power user is active on at least 8 days and uses at least 5 distinct features (event names)
-- in the usage window.
CREATE OR REPLACE TEMP MACRO is_power_user(active_days, features) AS
    coalesce(active_days >= 8 AND features >= 5, false);

-- Influence level of a contact from the job title as typed in the CRM, in English, German,
-- French, Spanish and Portuguese; first match wins. The title is lower-cased and its accents
-- dropped ("Geschäftsführer" reads "geschaftsfuhrer", "Gérant" "gerant").
--   end_user        first, assistants of anyone ("Assistant to the CEO", "Vorstandsassistentin")
--                   and brand, product or customer ambassadors (marketing, not diplomats)
--   senior_manager  a chief of staff
--   end_user        managers of a shop or store ("Shop Manager", "gérant de magasin",
--                   "gerente de tienda", "encarregado de loja", Filialleiter, Marktleiter)
--   c_level         chief ... officers (not "Chief Buyer" or "Chief Architect"), founders,
--                   owners and co-owners, presidents, partners, managing directors:
--                   Geschäftsführer, Vorstand, Inhaber, Gründer; PDG, directeur général,
--                   gérant, administrateur délégué, fondateur; director general, gerente
--                   general, consejero delegado, fundador, propietario, dueño; diretor
--                   executivo/geral, sócio, proprietário; and the heads of public bodies:
--                   ministers, secretaries of state and general, governors, mayors,
--                   ambassadors, consuls, senators, members of parliament, councillors
--   influencer      team, project and group leads (Teamleiter, Projektleiter), foremen and
--                   site superintendents (Vorarbeiter, Polier, contremaître, capataz)
--   senior_manager  VPs, heads of, directors (directeur, directora, diretor, Direktor and their
--                   plurals), senior and general managers, a Leiter (Vertriebsleiter,
--                   Leiterin Einkauf) other than a team, project or group lead, Prokurist
--   decision_maker  buyers and purchasing agents (Einkäufer, acheteur, comprador, "Chief
--                   Buyer"), treasurers and comptrollers, and managers of the functions that
--                   buy: procurement, purchasing, finance, IT, operations (Einkauf, achats,
--                   compras, finanzas, TI, operaciones...)
--   end_user        office and account managers
--   influencer      other managers, leads and leaders, CSMs, architects, consultants,
--                   supervisors, coordinators, product owners: gerente, gestor, jefe,
--                   responsable, encargado, encarregado, chef/cheffe de projet, Führungskraft...
--   end_user        everyone else with a title (agents, analysts, engineers, admins...)
--   unknown         no title
-- Measured on real occupation titles (ESCO, CH-ISCO-19, CPP 2010) and on titles US workers report
-- (O*NET) in docs/voice-of-customer.md.
CREATE OR REPLACE TEMP MACRO influence_level(job_title) AS
    CASE
        WHEN nullif(trim(job_title), '') IS NULL THEN 'unknown'
        WHEN regexp_matches(strip_accents(lower(job_title)),
            '\bassistant(e)? (to|of|de|du|a)\b|assistent|\basistente\b|\bassistente\b'
            '|\b(brand|product|customer|student|campus|community|sales) ambassadors?\b')
            THEN 'end_user'
        WHEN regexp_matches(lower(job_title), '\bchief of staff\b') THEN 'senior_manager'
        WHEN regexp_matches(strip_accents(lower(job_title)),
            '\b(shop|store|bookstore) manager\b|\b(filial|markt)leiter(in)?\b'
            '|\b(responsable|gerente|gerant(e)?|encargad[oa]|encarregad[oa]|manager|leiter(in)?)'
            ' (de |du |d''|do |da |del |of |eines |einer )?(la |le |a |the )?'
            '(magasin|boutique|tienda|loja|shop|store|einzelhandels[a-z]*)\b')
            THEN 'end_user'
        WHEN regexp_matches(strip_accents(lower(job_title)),
            '\b(ceo|cto|cfo|coo|cmo|cio|ciso|cro|cpo|cdo|pdg|founder|co-?founder|cofounder'
            '|managing director|managing partner|chief executive|chief [a-z& ,-]*officer'
            '|co[- ]?owner|geschaftsfuhrer(in)?|vorstand[a-z]*|inhaber(in)?|grunder(in)?'
            '|mitgrunder(in)?|gesellschafter(in)?|co-?fondat(eur|rice)|fondat(eur|rice)'
            '|gerant(e)?|president(e)?-directeur general|consejero delegado|consejera delegada'
            '|administrat(eur|rice) delegue(e)?|administrador(a)? delegad[oa]'
            '|co-?fundador(a)?|fundador(a)?|propietari[oa]|proprietari[oa]|duen[oa]|don[oa]'
            '|socio(-fundador|-diretor|-gerente)?|socia)\b')
          OR regexp_matches(strip_accents(lower(job_title)),
            '\b(direct(eur|rice|or|ora)|diret(or|ora)) (general|generale|geral|ejecutiv[oa]|executiv[oa])\b')
          OR regexp_matches(strip_accents(lower(job_title)), '\bgerente general\b')
          OR regexp_matches(strip_accents(lower(trim(job_title))),
            '^(president|presidente|partner|owner)\b')
          OR regexp_matches(strip_accents(lower(job_title)),
            '\b(minist(er|re|ro|ra)|secretar(y|io|ia|io) (of state|general|de estado|geral)'
            '|(sous-)?secretaire (d''etat|general(e)?)|staatssekretar(in)?|governor|gouverneur'
            '|gobernador(a)?|governador(a)?|mayor|maire|mayeur|alcalde(sa)?|burgermeister(in)?'
            '|prefet(e)?|ambassad(or|eur|rice)|embajador(a)?|embaixador(a)?|botschafter(in)?'
            '|consul(e)?( general(e)?)?|konsul(in)?|senat(or|eur|rice)|senador(a)?|legislat(or|ors)'
            '|member of parliament|depute(e)?|diputad[oa]|deputad[oa]|abgeordnete(r)?'
            '|councillor|conseill(er|ere) municipal(e)?|concejal(a)?|vereador(a)?'
            '|angehorige gesetzgebender)\b')
            THEN 'c_level'
        WHEN regexp_matches(strip_accents(lower(job_title)),
            '(team|projekt|gruppen)-?leiter(in)?\b|\b(vorarbeiter(in)?|polier(e|in)?'
            '|fore(man|men|woman|women|person)|superintendents?|contremaitre(sse)?s?|capataz)\b')
            THEN 'influencer'
        WHEN regexp_matches(strip_accents(lower(job_title)),
            '\b(vp|svp|evp|avp|vice[ -]?president(e)?|head|director(es)?|directora(s)?'
            '|directeur(s)?|directrice(s)?|diretor(es)?|diretora(s)?|direktor(in)?'
            '|sr\.? ?(mgr|manager)|senior (mgr|manager)|general manager|prokurist(in)?)\b'
            '|leiter(in)?\b')
            THEN 'senior_manager'
        WHEN regexp_matches(strip_accents(lower(job_title)),
            '\b(buyer|purchaser|(purchasing|procurement) agent|einkaufer(in)?|acheteu(r|se)'
            '|comprador(a)?|treasurer|comptroller|tresorier(e)?|tesorer[oa]|tesoureir[oa]'
            '|schatzmeister(in)?)\b')
          OR (
            regexp_matches(strip_accents(lower(job_title)),
                '\b(procurement|purchasing|purchase|sourcing|vendor|finance|financial|it|operations'
                '|ops|budget|controller|einkauf|beschaffung|finanz[a-z]*|controlling|achats?'
                '|finances|informatique|compras|finanzas|ti|sistemas|operaciones|suprimentos'
                '|financeiro|operacoes)\b')
            AND regexp_matches(strip_accents(lower(job_title)),
                '\b(manager|mgr|lead|officer|head|controller|responsable|gerente|gestor(a)?'
                '|jefe|jefa|chef(fe)?|fuhrungskraft(e)?)\b')
          )
            THEN 'decision_maker'
        WHEN regexp_matches(lower(job_title), '\b(office|account) manager\b') THEN 'end_user'
        WHEN regexp_matches(strip_accents(lower(job_title)),
            '\b(manager|mgr|lead|leader|csm|architect|consultant(e)?|principal|supervisor(a)?'
            '|coordinator|coordinat(eur|rice)|coordinador(a)?|coordenador(a)?|owner|gerente(s)?'
            '|gestor(a)?|jefe|jefa|responsable|berater(in)?|consultor(a)?|encargad[oa]s?'
            '|encarregad[oa]s?|fuhrungskraft(e)?)\b|\bchef(fe)? d(e |'')')
            THEN 'influencer'
        ELSE 'end_user'
    END;

-- Relative weight of each influence level when responses are weighted by who gave them.
CREATE OR REPLACE TEMP MACRO influence_weight(level) AS
    CASE level
        WHEN 'c_level' THEN 3.0
        WHEN 'senior_manager' THEN 2.5
        WHEN 'decision_maker' THEN 2.0
        WHEN 'influencer' THEN 1.5
        ELSE 1.0
    END;

-- The first day of the calendar quarter of a UTC timestamp in the reporting timezone.
CREATE OR REPLACE TEMP MACRO local_quarter(ts, tz) AS
    CAST(date_trunc('quarter', timezone(tz, ts)) AS DATE);

-- First day of the trailing 12-month window of the NPS benchmarks and account NPS: the 12
-- calendar months that end with the as-of date's month (which counts up to the as-of date).
CREATE OR REPLACE TEMP MACRO trailing_12_months_start(as_of) AS
    CAST(date_trunc('month', CAST(as_of AS DATE)) - INTERVAL 11 MONTH AS DATE);

-- erfc(x) = 1 - erf(x) for x >= 0, by Abramowitz & Stegun 7.1.26 (absolute error below 1.5e-7).
-- Written as the tail itself, so small p-values keep their precision.
CREATE OR REPLACE TEMP MACRO erfc_nonnegative(x) AS
    (0.254829592 * (1.0 / (1.0 + 0.3275911 * x))
     - 0.284496736 * pow(1.0 / (1.0 + 0.3275911 * x), 2)
     + 1.421413741 * pow(1.0 / (1.0 + 0.3275911 * x), 3)
     - 1.453152027 * pow(1.0 / (1.0 + 0.3275911 * x), 4)
     + 1.061405429 * pow(1.0 / (1.0 + 0.3275911 * x), 5))
    * exp(-x * x);

-- Standard normal cumulative distribution function P(Z <= z).
CREATE OR REPLACE TEMP MACRO normal_cdf(z) AS
    CASE
        WHEN z >= 0 THEN 1.0 - 0.5 * erfc_nonnegative(z / sqrt(2.0))
        ELSE 0.5 * erfc_nonnegative(-z / sqrt(2.0))
    END;

-- Two-sided p-value of a z statistic: P(|Z| >= |z|) (capped at 1 against the approximation).
CREATE OR REPLACE TEMP MACRO two_sided_p_value(z) AS
    CASE WHEN z IS NOT NULL THEN least(1.0, 2.0 * normal_cdf(-abs(z))) END;

-- Significance level of every test the marts report: p < 0.05 is significant.
CREATE OR REPLACE TEMP MACRO significance_level() AS CAST(0.05 AS DOUBLE);

-- Holm's step-down adjustment of a family of m p-values tested at once: the k-th smallest p
-- becomes min(1, (m - k + 1) x p), and each adjusted p-value is the running maximum of those in
-- order of p (so the adjusted values keep the order of the raw ones). It controls the chance of
-- any false "significant" in the family at significance_level(). SQL cannot nest window
-- functions, so a table takes two steps: holm_step(p, k, m) with k = row_number() OVER (ORDER BY
-- p) and m = count(p) OVER () over the family, then max(step) OVER (ORDER BY p) for the
-- adjusted p-value (nps_by_month.sql shows it).
CREATE OR REPLACE TEMP MACRO holm_step(p, k, m) AS least(1.0, (m - k + 1) * p);

-- Two-sample z-test of the NPS difference a - b between independent samples, in the adjusted
-- Wald form of the interval (Sauro & Lewis's test): z = (adjusted NPS a - adjusted NPS b) / 100
-- / sqrt(adjusted variance a + adjusted variance b). Null when either sample has no responses.
-- The adjusted variance is never 0, so only-passives samples get a test too (z = 0).
CREATE OR REPLACE TEMP MACRO nps_difference_z(
    promoters_a, detractors_a, responses_a, promoters_b, detractors_b, responses_b
) AS
    (nps_adjusted(promoters_a, detractors_a, responses_a)
     - nps_adjusted(promoters_b, detractors_b, responses_b)) / 100.0
    / sqrt(nps_adjusted_variance(promoters_a, detractors_a, responses_a)
           + nps_adjusted_variance(promoters_b, detractors_b, responses_b));

-- Two-sided p-value of that z-test.
CREATE OR REPLACE TEMP MACRO nps_difference_p_value(
    promoters_a, detractors_a, responses_a, promoters_b, detractors_b, responses_b
) AS
    two_sided_p_value(nps_difference_z(
        promoters_a, detractors_a, responses_a, promoters_b, detractors_b, responses_b));

-- Category of a B2B account from its decision-weighted NPS: 'promoter' when its weighted promoter
-- voice outweighs its weighted detractor voice (NPS > 0), 'detractor' when the reverse (< 0),
-- 'passive' when they balance (= 0, e.g. only passives); null without responses.
CREATE OR REPLACE TEMP MACRO nps_account_category(weighted_nps) AS
    CASE
        WHEN weighted_nps > 0 THEN 'promoter'
        WHEN weighted_nps < 0 THEN 'detractor'
        WHEN weighted_nps = 0 THEN 'passive'
    END;

-- Identity resolution (staging.identity_map). An e-mail address compares trimmed and lower-cased;
-- with plus-addressing allowed (RFC 5233 subaddressing, CX_IDENTITY_PLUS_ADDRESSING) the +tag of
-- the local part is dropped too: jo+support@acme.com is jo@acme.com. Null when not an address.
CREATE OR REPLACE TEMP MACRO normal_email(email, plus_addressing) AS
    CASE WHEN regexp_full_match(lower(trim(email)), '[^@\s]+@[^@\s]+\.[^@\s]+') THEN
        CASE WHEN plus_addressing
             THEN regexp_replace(lower(trim(email)), '\+[^@]*@', '@')
             ELSE lower(trim(email))
        END
    END;

-- The domain of an address, lower-cased; null when not an address.
CREATE OR REPLACE TEMP MACRO email_domain(email) AS
    nullif(regexp_extract(normal_email(email, false), '@(.+)$', 1), '');

-- Public mail providers: an address there says nothing about the person's company, so the
-- account-domain rule never uses it.
CREATE OR REPLACE TEMP MACRO is_public_mail_domain(domain) AS
    list_contains([
        'gmail.com', 'googlemail.com', 'outlook.com', 'hotmail.com', 'live.com', 'msn.com',
        'yahoo.com', 'ymail.com', 'aol.com', 'icloud.com', 'me.com', 'mac.com', 'proton.me',
        'protonmail.com', 'gmx.com', 'gmx.de', 'gmx.net', 'web.de', 'mail.com', 'yandex.ru',
        'mail.ru', 'qq.com', '163.com', '126.com', 'zoho.com', 'fastmail.com'
    ], domain);

-- A company web domain as typed in the CRM (https://www.Acme.com/) reduced to acme.com.
CREATE OR REPLACE TEMP MACRO normal_domain(domain) AS
    nullif(regexp_replace(
        regexp_replace(lower(trim(domain)), '^([a-z]+://)?(www\.)?', ''), '[/:?#].*$', ''), '');

-- 95% interval of a share x / n, in percent, by the adjusted Wald (Agresti-Coull) method, as
-- for NPS: add z^2/2 = 1.92 successes and z^2 = 3.84 trials, take the Wald interval of that
-- share, clip to 0..100. Null when n = 0.
CREATE OR REPLACE TEMP MACRO share_low_95(x, n) AS
    CASE WHEN n > 0 THEN 100.0 * greatest(0.0,
        (x + 1.959964 ^ 2 / 2) / (n + 1.959964 ^ 2)
        - 1.959964 * sqrt(
            (x + 1.959964 ^ 2 / 2) / (n + 1.959964 ^ 2)
            * (1 - (x + 1.959964 ^ 2 / 2) / (n + 1.959964 ^ 2))
            / (n + 1.959964 ^ 2)))
    END;
CREATE OR REPLACE TEMP MACRO share_high_95(x, n) AS
    CASE WHEN n > 0 THEN 100.0 * least(1.0,
        (x + 1.959964 ^ 2 / 2) / (n + 1.959964 ^ 2)
        + 1.959964 * sqrt(
            (x + 1.959964 ^ 2 / 2) / (n + 1.959964 ^ 2)
            * (1 - (x + 1.959964 ^ 2 / 2) / (n + 1.959964 ^ 2))
            / (n + 1.959964 ^ 2)))
    END;

-- The 97.5% quantile of Student's t with df degrees of freedom (a two-sided 95% interval of a
-- mean): the exact values for df 1-29, Cornish-Fisher's expansion around z = 1.959964 from 30
-- on (within 1e-7 there). Null when df < 1.
CREATE OR REPLACE TEMP MACRO t_975(df) AS
    CASE
        WHEN df < 1 THEN NULL
        WHEN df < 30 THEN [
            12.706205, 4.302653, 3.182446, 2.776445, 2.570582, 2.446912, 2.364624, 2.306004,
            2.262157, 2.228139, 2.200985, 2.178813, 2.160369, 2.144787, 2.131450, 2.119905,
            2.109816, 2.100922, 2.093024, 2.085963, 2.079614, 2.073873, 2.068658, 2.063899,
            2.059539, 2.055529, 2.051831, 2.048407, 2.045230
        ][CAST(df AS INTEGER)]
        ELSE 1.959964
            + (1.959964 ^ 3 + 1.959964) / (4 * df)
            + (5 * 1.959964 ^ 5 + 16 * 1.959964 ^ 3 + 3 * 1.959964) / (96 * df ^ 2)
            + (3 * 1.959964 ^ 7 + 19 * 1.959964 ^ 5 + 17 * 1.959964 ^ 3 - 15 * 1.959964)
              / (384 * df ^ 3)
            + (79 * 1.959964 ^ 9 + 776 * 1.959964 ^ 7 + 1482 * 1.959964 ^ 5
               - 1920 * 1.959964 ^ 3 - 945 * 1.959964) / (92160 * df ^ 4)
    END;

-- CSAT (1-5): an answer of 4 or 5 is satisfied; CSAT = satisfied answers / answers x 100 (the
-- "top two boxes", as Delighted computes it: help.delighted.com/article/240).
CREATE OR REPLACE TEMP MACRO csat_satisfied(score) AS score BETWEEN 4 AND 5;

-- CES (1-7, 7 = strongly agree that it was easy): an answer of 5-7 is easy (Delighted's "agree"
-- responses on its 7-point scale: help.delighted.com/article/534).
CREATE OR REPLACE TEMP MACRO ces_easy(score) AS score BETWEEN 5 AND 7;

-- Product-market fit benchmark: at least 40% of users "very disappointed" if they could no
-- longer use the product (Sean Ellis, after benchmarking nearly a hundred startups; Rahul Vohra,
-- "How Superhuman Built an Engine to Find Product/Market Fit", First Round Review, 2018).
CREATE OR REPLACE TEMP MACRO pmf_benchmark_pct() AS CAST(40 AS DOUBLE);

-- Behavioural personas (marts.contact_personas) are found from each contact's product events in
-- the 90 days up to the as-of date; a contact with fewer than 5 such events is too little seen
-- to be given one.
CREATE OR REPLACE TEMP MACRO persona_window_days() AS 90;
CREATE OR REPLACE TEMP MACRO persona_min_events() AS 5;

-- Two-sample z-test of a difference between two shares x_a / n_a and x_b / n_b (pooled
-- standard error, the textbook test of two proportions); null when either n is 0 or the pooled
-- share is 0 or 1 (no variation to test). Its p-value: two_sided_p_value(z).
CREATE OR REPLACE TEMP MACRO share_difference_z(x_a, n_a, x_b, n_b) AS
    CASE WHEN n_a > 0 AND n_b > 0
              AND (x_a + x_b) > 0 AND (x_a + x_b) < (n_a + n_b) THEN
        (1.0 * x_a / n_a - 1.0 * x_b / n_b)
        / sqrt((1.0 * (x_a + x_b) / (n_a + n_b)) * (1 - 1.0 * (x_a + x_b) / (n_a + n_b))
               * (1.0 / n_a + 1.0 / n_b))
    END;

-- Closed loop: a person was reached in time when first reached (first_contact_at, a
-- conversation) within `days` 24-hour days of `since` (the detractor's answer); never reached
-- is not in time.
CREATE OR REPLACE TEMP MACRO reached_within(since, first_contact_at, days) AS
    coalesce(first_contact_at <= since + to_days(CAST(days AS INTEGER)), false);

-- An NPS band is better than another when it is higher in detractor < passive < promoter.
CREATE OR REPLACE TEMP MACRO nps_band_improved(score_before, score_after) AS
    list_position(['detractor', 'passive', 'promoter'], nps_category(score_after))
    > list_position(['detractor', 'passive', 'promoter'], nps_category(score_before));
