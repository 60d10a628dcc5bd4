"""Word pools and distributions of the demo world (Dutch labour market, rough shares)."""

from __future__ import annotations

# Share of demo occupations per ISCO major group (UWV's caseload leans to groups 4-9).
MAJOR_GROUP_SHARE = {
    "1": 0.03,
    "2": 0.11,
    "3": 0.14,
    "4": 0.12,
    "5": 0.21,
    "6": 0.02,
    "7": 0.13,
    "8": 0.11,
    "9": 0.13,
}

# Education by ISCO major group: (levels, probabilities).
EDUCATION_BY_MAJOR = {
    "1": (["mbo4", "hbo", "wo"], [0.2, 0.5, 0.3]),
    "2": (["mbo4", "hbo", "wo"], [0.1, 0.5, 0.4]),
    "3": (["mbo3", "mbo4", "havo", "hbo"], [0.2, 0.45, 0.1, 0.25]),
    "4": (["vmbo", "mbo2", "mbo3", "mbo4", "havo"], [0.1, 0.25, 0.3, 0.25, 0.1]),
    "5": (["vmbo", "mbo1", "mbo2", "mbo3", "mbo4", "havo"], [0.15, 0.1, 0.3, 0.25, 0.15, 0.05]),
    "6": (["vmbo", "mbo2", "mbo3", "mbo4"], [0.3, 0.3, 0.3, 0.1]),
    "7": (["vmbo", "mbo2", "mbo3", "mbo4"], [0.15, 0.35, 0.35, 0.15]),
    "8": (["basisonderwijs", "vmbo", "mbo1", "mbo2", "mbo3"], [0.1, 0.3, 0.15, 0.35, 0.1]),
    "9": (["basisonderwijs", "vmbo", "mbo1", "mbo2"], [0.3, 0.35, 0.2, 0.15]),
}
# Minimum education a vacancy asks, by major group.
MIN_EDUCATION_BY_MAJOR = {
    "1": "hbo",
    "2": "hbo",
    "3": "mbo4",
    "4": "mbo2",
    "5": "mbo2",
    "6": "vmbo",
    "7": "mbo2",
    "8": "vmbo",
    "9": None,
}

CERTIFICATES = {
    "83": ["Code 95", "ADR-certificaat", "digitale tachograaf", "laden en lossen"],
    "93": [
        "heftruckcertificaat",
        "reachtruckcertificaat",
        "orderpicken",
        "VCA basis",
        "scannen met handscanner",
    ],
    "4321": ["heftruckcertificaat", "voorraadbeheer", "orderpicken", "WMS-systemen"],
    "71": ["VCA basis", "VCA VOL", "werken op hoogte", "bouwtekeningen lezen"],
    "72": ["VCA basis", "MIG/MAG-lassen", "technisch tekening lezen", "CNC-programmeren"],
    "74": ["NEN 3140", "VCA basis", "storingzoeken", "PLC-programmeren"],
    "51": ["HACCP", "Sociale Hygiëne", "kassawerkzaamheden"],
    "53": ["BHV", "tillen en transfers", "medicijnen verstrekken", "rapporteren in ECD"],
    "32": ["BIG-registratie", "BHV", "medicijnen verstrekken", "rapporteren in ECD"],
    "22": ["BIG-registratie", "klinisch redeneren", "rapporteren in ECD"],
    "91": ["schoonmaakdiploma SVS", "werken met schoonmaakmachines", "hygiënisch werken"],
    "52": ["kassawerkzaamheden", "klantgericht werken", "visual merchandising"],
    "41": ["Microsoft Office", "Exact Online", "AFAS", "klantcontact"],
    "42": ["klantcontact", "Microsoft Office", "telefonische klantenservice"],
    "43": ["Exact Online", "boekhouden", "Excel", "salarisadministratie"],
    "25": ["Python", "Java", "SQL", "Azure", "Scrum", "Linux"],
    "54": ["diploma beveiliger 2", "BHV", "EHBO"],
    "61": ["trekkerrijbewijs", "gewasbescherming", "oogsten"],
    "75": ["HACCP", "productiewerk", "kwaliteitscontrole"],
    "81": ["machine-instelling", "VCA basis", "productiewerk"],
    "24": ["Excel", "Power BI", "projectmanagement"],
    "26": ["Adobe Creative Cloud", "copywriting", "social media"],
}

LANGUAGES = ["Nederlands", "Engels", "Duits", "Pools", "Turks", "Arabisch", "Frans", "Spaans"]

FIRST_EMPLOYERS = [
    "Albert Heijn",
    "PostNL",
    "Bol",
    "Rabobank",
    "Gemeente {city}",
    "Zorggroep {city}",
    "Bouwbedrijf De Vries",
    "Van der Linden Logistiek",
    "Thuiszorg {city}",
    "Hotel De Zwaan",
    "Restaurant 't Hoekje",
    "Installatiebedrijf Jansen",
    "Schoonmaakbedrijf Hygiënet",
    "Transportbedrijf Bakker",
    "Tandartspraktijk {city}",
    "Basisschool De Regenboog",
    "Metaalbewerking Visser",
    "Kinderopvang Kiekeboe",
    "Drukkerij Smit",
    "Bakkerij Meijer",
    "Tuincentrum Groenrijk",
    "Ziekenhuis {city}",
    "Garage Mulder",
    "Uitzendbureau Werkplus",
    "Callcenter ConnectPlus",
    "Supermarkt Jumbo",
    "Kantoor Dekker & Zn.",
    "Distributiecentrum {city}",
]

EMPLOYER_PATTERNS = [
    "{surname} {sector} B.V.",
    "{sector} {city}",
    "{surname} & {surname2}",
    "{sector}groep {region}",
    "{surname} {sector}",
    "Stichting {sector} {city}",
]
SURNAMES = [
    "De Jong",
    "Jansen",
    "De Vries",
    "Van den Berg",
    "Van Dijk",
    "Bakker",
    "Janssen",
    "Visser",
    "Smit",
    "Meijer",
    "De Boer",
    "Mulder",
    "De Groot",
    "Bos",
    "Vos",
    "Peters",
    "Hendriks",
    "Van Leeuwen",
    "Dekker",
    "Brouwer",
    "De Wit",
    "Dijkstra",
    "Smits",
    "De Graaf",
    "Van der Meer",
    "Kok",
    "Jacobs",
    "Vermeulen",
    "Van den Heuvel",
    "Schouten",
    "Willems",
    "Hoekstra",
    "Koster",
]
SECTOR_BY_MAJOR = {
    "1": ["Advies", "Holding", "Management"],
    "2": ["Consultancy", "Zorg", "Onderwijs", "ICT"],
    "3": ["Techniek", "Zorg", "Laboratorium", "Engineering"],
    "4": ["Administratie", "Service", "Kantoor"],
    "5": ["Horeca", "Retail", "Zorg", "Beveiliging"],
    "6": ["Agro", "Kwekerij", "Hoveniers"],
    "7": ["Bouw", "Installatietechniek", "Metaal", "Elektro"],
    "8": ["Transport", "Logistiek", "Productie"],
    "9": ["Schoonmaak", "Logistiek", "Facilitair"],
}

TITLE_DECORATIONS = [
    "{t}",
    "{t}",
    "{t}",
    "{t} (m/v)",
    "{t} (m/v/x)",
    "Ervaren {t}",
    "Medior {t}",
    "{t} - {city}",
    "{t} {hmin}-{hmax} uur",
    "Parttime {t}",
    "Fulltime {t}",
    "{T} regio {region}",
    "{t} (fulltime)",
    "Allround {t}",
    "Junior {t}",
]

CV_OPENINGS_YEARS = [
    "Ik ben een gemotiveerde {occ} met {years} jaar werkervaring.",
    "Als {occ} heb ik {years} jaar ervaring opgedaan in verschillende bedrijven.",
    "Na {years} jaar als {occ} zoek ik een vaste plek in een goed team.",
    "Werkervaring: {occ}, in totaal ongeveer {years} jaar.",
]
CV_OPENINGS = [
    "Betrouwbare en leergierige {occ}, op zoek naar een nieuwe uitdaging.",
    "Ik werk graag met mijn handen en heb ervaring als {occ}.",
    "Collega's omschrijven mij als punctueel, rustig en behulpzaam. Ik ben {occ}.",
]
CV_CARE = [
    "Naast mijn werk zorg ik voor mijn kinderen, dus ik zoek uren die daarbij passen.",
    "Ik combineer werk met de zorg voor mijn kinderen.",
    "Als alleenstaande ouder werk ik het liefst onder schooltijden.",
]
VACANCY_SENIOR = [
    "Je hebt minimaal {years} jaar ervaring als {t}.",
    "Wij vragen minimaal {years} jaar aantoonbare werkervaring in een vergelijkbare functie.",
    "Je bent een ervaren vakkracht met minimaal {years} jaar ervaring.",
]
CV_EXPERIENCE = [
    "Van {y1} tot {y2} werkte ik als {past} bij {employer} in {city}.",
    "Bij {employer} ({city}) was ik {y2_minus} jaar actief als {past}.",
    "Mijn laatste baan was {past} bij {employer}; daar deed ik onder meer: {duty}",
    "Eerder heb ik gewerkt als {past}. {duty_cap}",
    "{y1}-{y2}: {past}, {employer}, {city}.",
]
CV_SKILLS = [
    "Ik beheers onder andere: {skills}.",
    "Vaardigheden: {skills}.",
    "Waar ik goed in ben: {skills}.",
    "Ik heb ervaring met {skills}.",
]
CV_EDUCATION = [
    "Opleiding: {edu}.",
    "Ik heb mijn diploma {edu} behaald.",
    "Mijn hoogst afgeronde opleiding is {edu}.",
]
CV_LICENCES = [
    "In bezit van rijbewijs {lic}.",
    "Rijbewijs {lic} aanwezig.",
    "Ik heb rijbewijs {lic}.",
]
CV_WISHES = [
    "Ik zoek werk als {want} in de buurt van {city}, ongeveer {hours} uur per week.",
    "Graag wil ik aan de slag als {want}, maximaal {km} km van huis.",
    "Mijn voorkeur gaat uit naar een baan als {want} voor {hours} uur.",
    "Beschikbaar voor {hours} uur per week als {want}.",
    "Ik wil graag verder als {want}.",
]
CV_EXTRA = [
    "Ik spreek {lang1} en {lang2}.",
    "In mijn vrije tijd ben ik vrijwilliger bij de voetbalclub.",
    "Ik heb een periode voor mijn familie gezorgd en wil nu weer aan het werk.",
    "Ik volg graag cursussen om bij te blijven in mijn vak.",
    "Door een reorganisatie ben ik mijn vorige baan kwijtgeraakt.",
    "Ik ben flexibel en kan ook in ploegendienst werken.",
    "Werken in een team vind ik prettig, maar ik kan ook goed zelfstandig werken.",
]

VACANCY_INTROS = [
    "{employer} is een groeiende organisatie in {city} en zoekt een {t}.",
    "Voor ons team in {city} zoeken wij per direct een enthousiaste {t}.",
    "Ben jij de {t} die wij zoeken? {employer} in {city} breidt uit!",
    "Wij zijn {employer}, al jaren een begrip in de regio {region}.",
    "Kom werken als {t} bij {employer}: een informele werkplek met korte lijnen.",
]
VACANCY_DUTIES = [
    "Wat ga je doen? {duty}",
    "Jouw werkzaamheden: {duty}",
    "Over de functie: {duty}",
    "{duty}",
]
VACANCY_ASKS = [
    "Wat vragen wij? {skills}.",
    "Je beschikt over: {skills}.",
    "Jouw profiel: {skills}.",
    "Wij vragen ervaring met {skills}.",
]
VACANCY_EDU = [
    "Minimaal {edu} werk- en denkniveau.",
    "Een afgeronde opleiding op {edu}-niveau.",
    "Opleiding: minimaal {edu}.",
]
VACANCY_OFFERS = [
    "Wij bieden een salaris van {s1} tot {s2} euro per maand en {hmin} tot {hmax} uur per week.",
    "Je krijgt een {contract} contract voor {hmin}-{hmax} uur, reiskostenvergoeding en "
    "opleidingsbudget.",
    "Salaris tussen de {s1} en {s2} euro bruto per maand, afhankelijk van ervaring.",
    "Goede secundaire arbeidsvoorwaarden en een fijne werksfeer.",
]

REJECTION_REASONS = [
    "onvoldoende werkervaring",
    "reisafstand te groot",
    "geen passend rijbewijs",
    "niet beschikbaar op gevraagde uren",
    "opleidingsniveau te laag",
    "andere kandidaat gekozen",
    "kandidaat trok zich terug",
    "niet verschenen op gesprek",
]
