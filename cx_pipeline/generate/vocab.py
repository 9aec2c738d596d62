"""Reference vocabularies: company words, places, people's names, job titles, products.

Weights sit beside the values so that a reader sees the planted mix in one place.
"""

from __future__ import annotations

from cx_pipeline.contract.entities import REGIONS

# fmt: off
# Company names are prefix + core + descriptor; the triple is unique per account, and the
# domain is built from it, so names and domains are unique without a lookup table.
NAME_PREFIXES = (
    "Blue", "North", "Apex", "Silver", "Bright", "Iron", "Green", "Red", "Golden", "Clear",
    "Swift", "Prime", "True", "Bold", "Quiet", "Deep", "High", "Open", "Urban", "Wild",
    "Lunar", "Solar", "Polar", "Cedar", "Maple", "Oak", "Pine", "River", "Stone", "Summit",
    "Vista", "Nova", "Terra", "Aqua", "Crimson", "Indigo", "Amber", "Coral", "Jade", "Onyx",
    "Atlas", "Orion", "Vector", "Pixel", "Quantum", "Fusion", "Nimbus", "Zephyr", "Echo", "Harbor",
    "Granite", "Copper", "Cobalt", "Falcon", "Eagle", "Fox", "Lion", "Wolf", "Bear", "Hawk",
    "Alpine", "Coastal", "Metro", "Civic", "Royal", "Little", "Grand", "West", "East", "South",
)
NAME_CORES = (
    "Bridge", "Field", "Gate", "Point", "Ridge", "Path", "Wave", "Leaf", "Peak", "Hill",
    "Brook", "Lake", "Forge", "Works", "Spark", "Light", "Line", "Loop", "Mark", "Mind",
    "Nest", "Port", "Quest", "Rock", "Root", "Sail", "Shore", "Sky", "Spring", "Star",
    "Stream", "Trail", "Tree", "Vale", "View", "Wind", "Wing", "Yard", "Bay", "Cove",
    "Crest", "Dale", "Dune", "Fern", "Glen", "Grove", "Haven", "Isle", "Key", "Land",
    "Moor", "Beam", "Bloom", "Bolt", "Core", "Craft", "Dash", "Flow", "Frame", "Hub",
    "Kite", "Lane", "Mill", "Pulse", "Scope", "Shift", "Stack", "Tide", "Vault", "Wise",
)
NAME_DESCRIPTORS = (
    "Labs", "Systems", "Analytics", "Logistics", "Health", "Foods", "Retail", "Media",
    "Capital", "Partners", "Software", "Solutions", "Networks", "Energy", "Robotics",
    "Learning", "Studios", "Outfitters", "Pharma", "Clinics", "Finance", "Insurance",
    "Manufacturing", "Motors", "Apparel", "Digital", "Cloud", "Data", "Security", "Travel",
    "Markets", "Brands", "Foundry", "Dynamics", "Ventures",
)
LEGAL_FORMS = (
    "", "", "", "", " Inc", " Ltd", " GmbH", " LLC", " S.A.", " B.V.", " Pty Ltd", " Co.",
)

INDUSTRIES = (
    ("Software", 25), ("Financial Services", 15), ("Retail", 15), ("Healthcare", 12),
    ("Manufacturing", 13), ("Education", 10), ("Media", 10),
)
REGION_WEIGHTS = dict(zip(REGIONS, (40, 30, 20, 10), strict=True))
COUNTRIES: dict[str, tuple[tuple[str, int], ...]] = {
    "North America": (("US", 82), ("CA", 18)),
    "EMEA": (
        ("GB", 25), ("DE", 22), ("FR", 15), ("NL", 10), ("ES", 7), ("SE", 6), ("IT", 6),
        ("IE", 4), ("ZA", 3), ("AE", 2),
    ),
    "APAC": (("AU", 30), ("IN", 20), ("JP", 20), ("SG", 15), ("KR", 10), ("NZ", 5)),
    "LATAM": (("BR", 45), ("MX", 30), ("AR", 10), ("CL", 8), ("CO", 7)),
}
REGION_TLDS = {
    "North America": (".com", ".com", ".io", ".ca"),
    "EMEA": (".com", ".co.uk", ".de", ".eu", ".io"),
    "APAC": (".com", ".com.au", ".io", ".sg"),
    "LATAM": (".com", ".com.br", ".mx", ".la"),
}

# (display form, e-mail form): the e-mail keeps to ASCII like real mailboxes do.
FIRST_NAMES = (
    ("James", "james"), ("Mary", "mary"), ("Robert", "robert"), ("Patricia", "patricia"),
    ("Michael", "michael"), ("Jennifer", "jennifer"), ("David", "david"), ("Linda", "linda"),
    ("William", "william"), ("Elizabeth", "elizabeth"), ("Sarah", "sarah"), ("Daniel", "daniel"),
    ("Emma", "emma"), ("Olivia", "olivia"), ("Noah", "noah"), ("Liam", "liam"),
    ("Sophie", "sophie"), ("Lukas", "lukas"), ("Hannah", "hannah"), ("Jonas", "jonas"),
    ("Léa", "lea"), ("Chloé", "chloe"), ("Hugo", "hugo"), ("Zoë", "zoe"),
    ("María", "maria"), ("José", "jose"), ("Lucía", "lucia"), ("Mateo", "mateo"),
    ("João", "joao"), ("Ana", "ana"), ("Gabriel", "gabriel"), ("Camila", "camila"),
    ("Valentina", "valentina"), ("Santiago", "santiago"), ("Isabela", "isabela"),
    ("Diego", "diego"),
    ("Priya", "priya"), ("Arjun", "arjun"), ("Ananya", "ananya"), ("Rahul", "rahul"),
    ("Wei", "wei"), ("Mei", "mei"), ("Hiroshi", "hiroshi"), ("Yuki", "yuki"),
    ("Min-jun", "minjun"), ("Seo-yeon", "seoyeon"), ("Aisha", "aisha"), ("Omar", "omar"),
    ("Fatima", "fatima"), ("Youssef", "youssef"), ("Thabo", "thabo"), ("Zanele", "zanele"),
    ("Lars", "lars"), ("Ingrid", "ingrid"), ("Sven", "sven"), ("Astrid", "astrid"),
    ("Giulia", "giulia"), ("Marco", "marco"), ("Siobhán", "siobhan"), ("Conor", "conor"),
    ("Chris", "chris"), ("Alex", "alex"), ("Sam", "sam"), ("Jordan", "jordan"),
)
LAST_NAMES = (
    ("Smith", "smith"), ("Johnson", "johnson"), ("Williams", "williams"), ("Brown", "brown"),
    ("Jones", "jones"), ("Garcia", "garcia"), ("Miller", "miller"), ("Davis", "davis"),
    ("Martinez", "martinez"), ("Wilson", "wilson"), ("Anderson", "anderson"), ("Taylor", "taylor"),
    ("Thomas", "thomas"), ("Moore", "moore"), ("Martin", "martin"), ("Lee", "lee"),
    ("Müller", "mueller"), ("Schmidt", "schmidt"), ("Schneider", "schneider"),
    ("Fischer", "fischer"),
    ("Dubois", "dubois"), ("Lefèvre", "lefevre"), ("Moreau", "moreau"), ("Laurent", "laurent"),
    ("Rossi", "rossi"), ("Bianchi", "bianchi"), ("García", "garcia"), ("Fernández", "fernandez"),
    ("López", "lopez"), ("González", "gonzalez"), ("Silva", "silva"), ("Santos", "santos"),
    ("Oliveira", "oliveira"), ("Pereira", "pereira"), ("Costa", "costa"),
    ("Rodrigues", "rodrigues"),
    ("Sharma", "sharma"), ("Patel", "patel"), ("Gupta", "gupta"), ("Iyer", "iyer"),
    ("Wang", "wang"), ("Zhang", "zhang"), ("Chen", "chen"), ("Tanaka", "tanaka"),
    ("Sato", "sato"), ("Kim", "kim"), ("Park", "park"), ("Nguyen", "nguyen"),
    ("O'Brien", "obrien"), ("Murphy", "murphy"), ("Kelly", "kelly"), ("Andersson", "andersson"),
    ("Johansson", "johansson"), ("Nielsen", "nielsen"), ("de Vries", "devries"),
    ("van Dijk", "vandijk"),
    ("Nkosi", "nkosi"), ("Dlamini", "dlamini"), ("Haddad", "haddad"), ("Khan", "khan"),
    ("Cohen", "cohen"), ("Novak", "novak"), ("Kowalski", "kowalski"), ("Ivanova", "ivanova"),
)

# Job titles as people type them into a CRM: the influence level has to be derived from this
# mess (C-level, senior manager, decision maker, influencer, end user, unknown).
JOB_TITLES = (
    ("CEO", 3), ("Chief Executive Officer", 1), ("Co-founder & CTO", 2), ("CTO", 2),
    ("Chief Customer Officer", 1), ("COO", 1), ("CFO", 1), ("Founder", 1),
    ("VP Customer Success", 3), ("VP of Support", 2), ("vp sales", 2), ("Head of Support", 4),
    ("Head of Customer Experience", 2), ("Director of CX", 3), ("Director, Customer Support", 2),
    ("Sr. Mgr, Support Ops", 2), ("Senior Manager Customer Success", 2),
    ("Procurement Manager", 3), ("IT Manager", 4), ("Purchasing Lead", 1), ("Finance Manager", 2),
    ("Operations Manager", 3),
    ("Customer Success Manager", 8), ("CSM", 2), ("Product Manager", 5), ("Team Lead", 5),
    ("Support Team Lead", 3), ("Project Manager", 3), ("Marketing Manager", 3),
    ("Support Agent", 10), ("support agent", 2), ("Customer Service Representative", 4),
    ("Data Analyst", 6), ("BI Analyst", 2), ("Software Engineer", 6), ("Sr. Software Engineer", 2),
    ("QA Engineer", 1), ("Administrator", 2), ("Office Manager", 1), ("Intern", 1),
    ("", 6),
)

PRODUCTS = ("Core", "Analytics", "Automation")
PLANS = ("Starter", "Pro", "Enterprise")
CANCEL_REASONS = (
    ("price", 25), ("switched to competitor", 25), ("no longer needed", 20), ("poor support", 15),
    ("missing features", 15),
)
ADDON_CANCEL_REASONS = (
    ("no longer needed", 40), ("price", 30), ("missing features", 25), ("poor support", 5),
)
# fmt: on


def values(pairs: tuple[tuple[str, int], ...]) -> list[str]:
    return [v for v, _ in pairs]


def probabilities(pairs: tuple[tuple[str, int], ...]) -> list[float]:
    total = sum(w for _, w in pairs)
    return [w / total for _, w in pairs]
