"""The shipped categorisation rules, as data (how they match and why: `rules.py`).

Each entry is (name, needles, direction, outcome): every needle becomes one rule, in the
order of this table, and the first rule that matches wins. ``outcome`` is what `RuleSet`
takes: (kind, title, category, income_type, tags); a title of None lets the row be titled
by its payee (a landlord, a corner shop), a brand's rule names the brand.

The order, top down: what is not spending (card bills, cash, salary, interest); brands,
most specific first (Swiggy Instamart before Swiggy, Amazon Prime and Amazon Fresh before
Amazon, Indane and Bharatgas before Indian Oil and Bharat Petroleum, insurers before
pharmacies and hospitals, travel sites before the word HOTEL); last, plain words of a
small shop's name or of a note the payer typed (RENT, MAID, PROVISION STORES, CAFE,
MEDICALS, TUITION), which a brand's narration may also carry.
"""

from __future__ import annotations

from typing import Any


class Word(str):
    """A needle matched as a whole word: not inside a longer word of letters and digits
    ("IOCL" in "IOCL PUMP", not in "BIOCLEAN"; "RENT" in "RENT JAN", not in "TORRENT")."""


W = Word
DEBIT, CREDIT = "debit", "credit"
Entry = tuple[str, tuple[str, ...], str | None, tuple[Any, ...]]


def brand(name: str, category: str, *needles: str) -> Entry:
    """A debit to this brand: an expense in `category`, titled by the brand."""
    return (name, needles, DEBIT, ("expense", name, category))


def kind_of(name: str, category: str, *needles: str) -> Entry:
    """A debit whose narration says what it is for: an expense in `category`, titled by
    its payee."""
    return (name, needles, DEBIT, ("expense", None, category))


NOT_SPENDING: tuple[Entry, ...] = (
    # HDFC's own card autopay reads "CC 000<card> AUTOPAY SI-TAD" (total/minimum due).
    ("Credit card bill", ("CREDIT CARD", "CCBILL", "CC BILL", "SI-TAD", "SI-MAD"), DEBIT,
     ("payment", "Credit card payment")),
    ("Cash withdrawal", ("ATW-", "NWD-", "EAW-", "ATM WDL", "CASH WDL", "ATM CASH",
                         "CASH WITHDRAWAL"), DEBIT,
     ("expense", "Cash withdrawal", "cash", None, ("cash", "atm"))),
    ("Salary", ("SALARY",), CREDIT, ("income", None, None, "salary")),
    ("Interest", ("INT.PD", "INT PD", "INTEREST"), CREDIT,
     ("income", "Interest", None, "interest")),
    kind_of("Loan EMI", "emi", W("EMI"), "BAJAJ FINANCE", "BAJAJFINANCE",
            "BAJAJ FINSERV", "HDB FINANCIAL", "TATA CAPITAL", "HOME CREDIT", "FULLERTON",
            "LIC HOUSING", "PNB HOUSING", "MUTHOOT", "MANAPPURAM", "CHOLAMANDALAM",
            "SHRIRAM FINANCE"),
)  # fmt: skip

GROCERIES: tuple[Entry, ...] = (
    brand("Swiggy Instamart", "groceries", "INSTAMART"),
    brand("Blinkit", "groceries", "BLINKIT", "GROFERS", "BLINK COMMERCE"),
    brand("Zepto", "groceries", "ZEPTO", "KIRANAKART"),
    brand("BigBasket", "groceries", "BIGBASKET", "BIG BASKET", "BBNOW", W("BB NOW"),
          "BBDAILY", W("BB DAILY"), "INNOVATIVE RETAIL CONCEPTS",
          "SUPERMARKET GROCERY SUPPLIES"),
    brand("Flipkart Minutes", "groceries", "FLIPKART MINUTES", "FLIPKARTMINUTES"),
    brand("JioMart", "groceries", "JIOMART", "JIO MART"),
    brand("DMart", "groceries", "DMART", "AVENUE SUPERMARTS", "AVENUE E-COMMERCE"),
    brand("Amazon Fresh", "groceries", "AMAZON FRESH", "AMAZONFRESH"),
    brand("More", "groceries", "MORE RETAIL", "MORE SUPERMARKET", "MORE MEGASTORE"),
    brand("Reliance Smart", "groceries", "RELIANCE FRESH", "RELIANCE SMART", "SMART BAZAAR"),
    brand("Spencer's", "groceries", "SPENCERS", "SPENCER'S"),
    brand("Nature's Basket", "groceries", "NATURES BASKET", "NATURE'S BASKET"),
    brand("Ratnadeep", "groceries", "RATNADEEP"),
    brand("Country Delight", "groceries", "COUNTRY DELIGHT", "COUNTRYDELIGHT"),
)  # fmt: skip

FOOD: tuple[Entry, ...] = (
    brand("Swiggy", "food", "SWIGGY"),
    brand("Zomato", "food", "ZOMATO"),
    brand("EatSure", "food", "EATSURE", "REBEL FOODS", "FAASOS"),
    brand("Domino's", "food", "DOMINOS", "DOMINO'S", "JUBILANT FOODWORKS"),
    brand("McDonald's", "food", "MCDONALD", "HARDCASTLE RESTAURANTS"),
    brand("KFC", "food", W("KFC")),
    brand("Pizza Hut", "food", "PIZZA HUT"),
    brand("Starbucks", "food", "STARBUCKS"),
    brand("Burger King", "food", "BURGER KING"),
    brand("Chaayos", "food", "CHAAYOS"),
    brand("Haldiram's", "food", "HALDIRAM"),
)

TRAVEL: tuple[Entry, ...] = (
    brand("IRCTC", "travel", "IRCTC"),
    brand("MakeMyTrip", "travel", "MAKEMYTRIP", "MAKE MY TRIP"),
    brand("Goibibo", "travel", "GOIBIBO", "IBIBO"),
    brand("Cleartrip", "travel", "CLEARTRIP"),
    brand("EaseMyTrip", "travel", "EASEMYTRIP", "EASE MY TRIP"),
    brand("ixigo", "travel", "IXIGO", "LE TRAVENUES"),
    brand("Yatra", "travel", "YATRA ONLINE", "YATRA.COM"),
    brand("redBus", "travel", "REDBUS"),
    brand("AbhiBus", "travel", "ABHIBUS"),
    brand("OYO", "travel", W("OYO"), "ORAVEL STAYS"),
    brand("IndiGo", "travel", "INTERGLOBE AVIATION", "GOINDIGO", "INDIGO AIRLINES"),
    brand("Air India", "travel", "AIR INDIA", "AIRINDIA"),
    brand("Akasa Air", "travel", "AKASA AIR"),
    brand("SpiceJet", "travel", "SPICEJET"),
    brand("Airbnb", "travel", "AIRBNB"),
    brand("Agoda", "travel", "AGODA"),
    brand("Booking.com", "travel", "BOOKING.COM"),
    kind_of("State bus", "travel", "KSRTC", "MSRTC", "TSRTC", "TGSRTC", "APSRTC", "UPSRTC",
            "GSRTC", "RSRTC", "HRTC"),
)  # fmt: skip

# City buses and metros, cabs and bike taxis, tolls. Short operator names (DTC, MTC, BEST)
# are whole words or longer names: "BEST" alone is in "BEST PRICE", a wholesale chain. A
# bus row keeps its payee as title, which tells a ticket ("BMTC BUS") from a pass.
TRANSPORT: tuple[Entry, ...] = (
    brand("Uber", "transport", "UBER"),
    brand("Ola", "transport", "OLACABS", "OLA CABS", "ANI TECHNOLOGIES"),
    brand("Rapido", "transport", "RAPIDO", "ROPPEN TRANSPORTATION"),
    brand("Namma Yatri", "transport", "NAMMA YATRI", "NAMMAYATRI"),
    brand("BluSmart", "transport", "BLUSMART"),
    kind_of("BMTC", "transport", "BMTC"),
    kind_of("BEST", "transport", "BEST UNDERTAKING", "BESTUNDERTAKING", "BEST BUS"),
    kind_of("Chalo", "transport", W("CHALO")),
    kind_of("DTC", "transport", W("DTC"), "DELHI TRANSPORT CORP"),
    kind_of("MTC", "transport", W("MTC"), "METROPOLITAN TRANSPORT CORP"),
    brand("Namma Metro", "transport", "BMRCL", "NAMMA METRO", "BANGALORE METRO",
          "BENGALURU METRO"),
    brand("Delhi Metro", "transport", "DMRC", "DELHI METRO"),
    brand("Mumbai Metro", "transport", "MUMBAI METRO", "MMOPL", "MMMOCL"),
    brand("Hyderabad Metro", "transport", "HYDERABAD METRO", "L&T METRO", "LTMRHL"),
    brand("Chennai Metro", "transport", "CHENNAI METRO", W("CMRL")),
    brand("Kochi Metro", "transport", "KOCHI METRO", W("KMRL")),
    kind_of("Metro", "transport", "METRO RAIL"),
    brand("FASTag", "transport", "FASTAG"),
)  # fmt: skip

# Cooking gas before fuel: Indane is Indian Oil's, Bharatgas Bharat Petroleum's.
UTILITIES: tuple[Entry, ...] = (
    brand("Indane", "utilities", "INDANE"),
    brand("HP Gas", "utilities", "HP GAS", "HPGAS"),
    brand("Bharatgas", "utilities", "BHARATGAS", "BHARAT GAS"),
    kind_of("Cooking gas", "utilities", W("LPG")),
    brand("Mahanagar Gas", "utilities", "MAHANAGAR GAS", W("MGL")),
    brand("Indraprastha Gas", "utilities", "INDRAPRASTHA GAS", W("IGL")),
    brand("Gujarat Gas", "utilities", "GUJARAT GAS"),
    brand("Adani Total Gas", "utilities", "ADANI TOTAL GAS"),
    brand("BESCOM electricity", "utilities", "BESCOM"),
    brand("MSEDCL electricity", "utilities", "MSEDCL", "MAHADISCOM"),
    brand("TNEB electricity", "utilities", "TNEB", "TANGEDCO", "TNPDCL"),
    brand("BSES electricity", "utilities", "BSES"),
    brand("Adani Electricity", "utilities", "ADANI ELECTRICITY"),
    brand("Tata Power", "utilities", "TATA POWER"),
    brand("Torrent Power", "utilities", "TORRENT POWER"),
    brand("CESC electricity", "utilities", W("CESC")),
    kind_of("Electricity", "utilities", "HESCOM", "GESCOM", "MESCOM", "CESCOM", "KSEB",
            "TSSPDCL", "TGSPDCL", "APSPDCL", "APEPDCL", "UPPCL", "PSPCL", "WBSEDCL", "TPDDL",
            "DHBVN", "UHBVN", "JVVNL", "AVVNL", W("ELECTRICITY")),
    brand("BWSSB water", "utilities", "BWSSB"),
    brand("Delhi Jal Board", "utilities", "DELHI JAL BOARD", W("DJB")),
    kind_of("Water", "utilities", "WATER BILL", "WATER CHARGES", "WATER TAX"),
)  # fmt: skip

# "IOCL" is inside "BIOCLEAN" and "RADIOCLUB": a whole word.
FUEL: tuple[Entry, ...] = (
    kind_of("Fuel", "fuel", "HPCL", "BPCL", W("IOCL"), "INDIAN OIL", "INDIANOIL",
            "HINDUSTAN PETROLEUM", "BHARAT PETROLEUM", "NAYARA", "ESSAR OIL", "SHELL INDIA",
            "SHELL PETROL", "SHELL FUEL", "JIO-BP", "JIOBP", "JIO BP", "RELIANCE BP",
            "BP MOBILITY", "PETROL", "FUEL", W("DIESEL"), W("CNG")),
)  # fmt: skip

# Mobile, broadband and DTH are utilities; streaming services are subscriptions (before
# Amazon, so Prime Video is not shopping). "VI" and "ACT" are ordinary words: Vi and ACT
# Fibernet go by their longer names.
TELECOM_AND_STREAMING: tuple[Entry, ...] = (
    brand("Netflix", "subscriptions", "NETFLIX"),
    brand("Spotify", "subscriptions", "SPOTIFY"),
    brand("Disney+ Hotstar", "subscriptions", "HOTSTAR", "NOVI DIGITAL", "JIOSTAR"),
    brand("JioCinema", "subscriptions", "JIOCINEMA"),
    brand("Amazon Prime", "subscriptions", "PRIME VIDEO", "PRIMEVIDEO", "AMAZON PRIME",
          "AMAZONPRIME"),
    brand("SonyLIV", "subscriptions", "SONYLIV", "SONY LIV", "CULVER MAX"),
    brand("ZEE5", "subscriptions", "ZEE5"),
    brand("YouTube Premium", "subscriptions", "YOUTUBE"),
    brand("Google Play", "subscriptions", "GOOGLE PLAY", "GOOGLEPLAY", "GOOGLE ONE"),
    brand("Apple", "subscriptions", "APPLE MEDIA", "APPLESERVICES", "APPLE SERVICES",
          "APPLE.COM/BILL", "ITUNES"),
    brand("Audible", "subscriptions", "AUDIBLE"),
    brand("Airtel", "utilities", "AIRTEL"),
    brand("Jio", "utilities", "RELIANCE JIO", "JIO PREPAID", "JIO POSTPAID", "JIOFIBER",
          "JIO INFOCOMM", "JIOINFOCOMM", "MYJIO"),
    brand("Vi", "utilities", "VODAFONE", "VODAIDEA", "VI POSTPAID", "VI PREPAID",
          "VI RECHARGE"),
    brand("BSNL", "utilities", "BSNL"),
    brand("MTNL", "utilities", "MTNL"),
    brand("ACT Fibernet", "utilities", "ACT FIBERNET", "ACTFIBERNET", "ATRIA CONVERGENCE"),
    brand("Hathway", "utilities", "HATHWAY"),
    brand("Excitel", "utilities", "EXCITEL"),
    brand("Tata Play", "utilities", "TATA PLAY", "TATAPLAY", "TATA SKY", "TATASKY"),
    brand("Dish TV", "utilities", "DISH TV", "DISHTV"),
    brand("BookMyShow", "entertainment", "BOOKMYSHOW", "BIGTREE ENTERTAINMENT"),
    brand("PVR INOX", "entertainment", W("PVR"), W("INOX")),
    brand("Cinepolis", "entertainment", "CINEPOLIS"),
)  # fmt: skip

# Insurers before pharmacies ("STAR HEALTH", "CARE HEALTH"); a life insurer's name, not
# its fund house's ("ICICI PRUDENTIAL MUTUAL FUND" is an investment).
INSURANCE_AND_HEALTH: tuple[Entry, ...] = (
    brand("LIC premium", "insurance", "LIC OF INDIA", "LIFE INSURANCE CORP", "LICPREMIUM",
          "LIC PREMIUM"),
    brand("HDFC Life", "insurance", "HDFC LIFE", "HDFCLIFE"),
    brand("HDFC ERGO", "insurance", "HDFC ERGO", "HDFCERGO"),
    brand("ICICI Prudential Life", "insurance", "ICICI PRU LIFE", "ICICIPRULIFE",
          "ICICI PRUDENTIAL LIFE"),
    brand("ICICI Lombard", "insurance", "ICICI LOMBARD", "ICICILOMBARD"),
    brand("SBI Life", "insurance", "SBI LIFE", "SBILIFE"),
    brand("SBI General", "insurance", "SBI GENERAL"),
    brand("Max Life", "insurance", "MAX LIFE", "MAXLIFE"),
    brand("Star Health", "insurance", "STAR HEALTH", "STARHEALTH"),
    brand("Niva Bupa", "insurance", "NIVA BUPA", "NIVABUPA", "MAX BUPA"),
    brand("Care Health", "insurance", "CARE HEALTH", "RELIGARE HEALTH"),
    brand("Acko", "insurance", W("ACKO")),
    brand("Digit", "insurance", "GO DIGIT", "GODIGIT", "DIGIT INSURANCE", "DIGIT GENERAL"),
    brand("Policybazaar", "insurance", "POLICYBAZAAR", "POLICY BAZAAR"),
    brand("Tata AIA", "insurance", "TATA AIA"),
    brand("Tata AIG", "insurance", "TATA AIG"),
    brand("Bajaj Allianz", "insurance", "BAJAJ ALLIANZ"),
    kind_of("Insurance", "insurance", "INSURANC"),  # HDFC cuts names: "INSURANC"
    brand("Apollo Pharmacy", "health", "APOLLO PHARMACY", "APOLLO PHARMACIES", "APOLLO 24",
          "APOLLO24"),
    brand("MedPlus", "health", "MEDPLUS", "OPTIVAL HEALTH"),
    brand("PharmEasy", "health", "PHARMEASY", "AXELIA SOLUTIONS"),
    brand("Netmeds", "health", "NETMEDS"),
    brand("Tata 1mg", "health", "TATA 1MG", "TATA1MG", "1MG TECHNOLOGIES", W("1MG")),
    brand("Wellness Forever", "health", "WELLNESS FOREVER"),
    brand("Truemeds", "health", "TRUEMEDS"),
    brand("Practo", "health", "PRACTO"),
)  # fmt: skip

SHOPPING: tuple[Entry, ...] = (
    brand("Amazon", "shopping", "AMAZON"),
    brand("Flipkart", "shopping", "FLIPKART"),
    brand("Myntra", "shopping", "MYNTRA"),
    brand("Ajio", "shopping", "AJIO"),
    brand("Nykaa", "shopping", "NYKAA"),
    brand("Meesho", "shopping", "MEESHO"),
    brand("Tata CLiQ", "shopping", "TATACLIQ", "TATA CLIQ"),
    brand("Croma", "shopping", "CROMA", "INFINITI RETAIL"),
    brand("Reliance Digital", "shopping", "RELIANCE DIGITAL"),
    brand("Decathlon", "shopping", "DECATHLON"),
    brand("IKEA", "shopping", W("IKEA")),
    brand("Lenskart", "shopping", "LENSKART"),
    brand("FirstCry", "shopping", "FIRSTCRY"),
    kind_of("Clothes", "shopping", "ZUDIO", "WESTSIDE", "PANTALOONS", "SHOPPERS STOP",
            "LIFESTYLE INTERNATIONAL"),
    brand("Urban Company", "household", "URBAN COMPANY", "URBANCOMPANY", "URBANCLAP"),
    brand("MyGate", "household", "MYGATE"),
    brand("NoBrokerHood", "household", "NOBROKERHOOD"),
    brand("ApnaComplex", "household", "APNACOMPLEX"),
    brand("Byju's", "education", "BYJU"),
    brand("Unacademy", "education", "UNACADEMY", "SORTING HAT"),
    brand("Vedantu", "education", "VEDANTU"),
    brand("Physics Wallah", "education", "PHYSICSWALLAH", "PHYSICS WALLAH"),
    brand("Udemy", "education", "UDEMY"),
    brand("Coursera", "education", "COURSERA"),
    brand("upGrad", "education", "UPGRAD"),
)  # fmt: skip

# Words of a shop's name or of the payer's note. "HOSPITAL" is a whole word: a hotel
# company's legal name says "HOSPITALITY".
WORDS: tuple[Entry, ...] = (
    kind_of("Rent", "rent", W("RENT"), W("LANDLORD")),
    kind_of("Household help", "household", W("MAID"), W("MAINTENANCE"), W("HOUSEKEEPING")),
    kind_of("Groceries", "groceries", W("KIRANA"), W("PROVISION"), W("PROVISIONS"), "GROCER",
            "SUPERMARKET", "SUPER MARKET", "HYPERMARKET", W("VEGETABLE"), W("VEGETABLES"),
            W("VEGGIES"), W("FRUITS"), W("MILK"), W("DAIRY")),
    kind_of("Eating out", "food", W("CAFE"), "COFFEE", W("CHAI"), W("TEA"), W("RESTAURANT"),
            W("RESTAURANTS"), W("HOTEL"), W("DHABA"), "BAKERY", "BAKERS", W("SWEETS"),
            "BIRYANI", W("DARSHINI"), "TIFFIN", W("CANTEEN"), W("FOODS"), "PIZZA",
            W("DINNER"), W("LUNCH"), W("BREAKFAST")),
    kind_of("Medical", "health", "PHARMA", "CHEMIST", W("MEDICAL"), W("MEDICALS"),
            W("MEDICINE"), W("MEDICINES"), W("HOSPITAL"), W("HOSPITALS"), W("CLINIC"),
            "DIAGNOSTIC", "PATHLAB", "PATH LAB", W("DENTAL")),
    kind_of("Education", "education", "SCHOOL", "COLLEGE", "UNIVERSITY", W("TUITION"),
            "COACHING"),
    kind_of("Salon", "personal_care", W("SALON"), W("SALOON"), "BEAUTY PARLOUR",
            "BEAUTY PARLOR", W("BARBER")),
    kind_of("Bills", "utilities", W("BROADBAND"), W("POSTPAID"), W("RECHARGE"), W("DTH")),
    kind_of("Parking and tolls", "transport", W("PARKING"), "TOLL PLAZA"),
)  # fmt: skip

SHIPPED: tuple[Entry, ...] = (
    *NOT_SPENDING,
    *GROCERIES,
    *FOOD,
    *TRAVEL,
    *TRANSPORT,
    *UTILITIES,
    *FUEL,
    *TELECOM_AND_STREAMING,
    *INSURANCE_AND_HEALTH,
    *SHOPPING,
    *WORDS,
)
