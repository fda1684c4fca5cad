"""Word lists and service templates the catalogue draws from.

Plain data, kept apart from the generator so the wording of the simulated marketplace can be read (and
extended) without reading code. Titles are stored the way Fiverr stores them: without the "I will" prefix.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Category:
    id: int
    name: str
    slug: str


@dataclass(frozen=True, slots=True)
class Subcategory:
    id: int
    name: str
    slug: str
    category: Category


@dataclass(frozen=True, slots=True)
class Service:
    """A kind of gig: title templates, tags, description sentences and a starting-price range (USD)."""

    key: str
    sub: Subcategory
    titles: tuple[str, ...]
    tags: tuple[str, ...]
    pitch: tuple[str, ...]
    features: tuple[str, ...]
    price: tuple[int, int]


GRAPHICS = Category(3, "Graphics & Design", "graphics-design")
PROGRAMMING = Category(10, "Programming & Tech", "programming-tech")
MARKETING = Category(2, "Digital Marketing", "online-marketing")
WRITING = Category(5, "Writing & Translation", "writing-translation")
VIDEO = Category(20, "Video & Animation", "video-animation")
MUSIC = Category(12, "Music & Audio", "music-audio")
BUSINESS = Category(8, "Business", "business")
DATA = Category(23, "Data", "data")

LOGO = Subcategory(49, "Logo Design", "creative-logo-design", GRAPHICS)
ILLUSTRATION = Subcategory(50, "Illustration", "digital-illustration", GRAPHICS)
BUSINESS_CARDS = Subcategory(58, "Business Cards & Stationery", "business-cards-design", GRAPHICS)
WEBSITE = Subcategory(514, "Website Development", "website-development", PROGRAMMING)
MOBILE = Subcategory(140, "Mobile App Development", "mobile-app-services", PROGRAMMING)
SOFTWARE = Subcategory(519, "Software Development", "software-development", PROGRAMMING)
QA = Subcategory(520, "QA & Review", "qa-review", PROGRAMMING)
SEO = Subcategory(143, "Search Engine Optimization (SEO)", "seo-services", MARKETING)
SOCIAL = Subcategory(67, "Social Media Marketing", "social-marketing", MARKETING)
ECOMMERCE = Subcategory(291, "E-Commerce Marketing", "e-commerce", MARKETING)
LOCAL_SEO = Subcategory(292, "Local SEO", "local-seo-services", MARKETING)
TRANSLATION = Subcategory(108, "Translation", "quality-translation-services", WRITING)
PROOFREADING = Subcategory(109, "Proofreading & Editing", "proofreading-editing", WRITING)
RESUME = Subcategory(110, "Resume Writing", "resume-writing", WRITING)
ARTICLES = Subcategory(107, "Articles & Blog Posts", "articles-blogposts", WRITING)
PRODUCT_DESC = Subcategory(112, "Product Descriptions", "product-descriptions", WRITING)
BOOK_EDITING = Subcategory(115, "Beta Reading", "beta-reading", WRITING)
EMAIL_COPY = Subcategory(116, "Email Copy", "email-copy", WRITING)
VIDEO_EDITING = Subcategory(98, "Video Editing", "video-editing", VIDEO)
EXPLAINER = Subcategory(228, "Animated Explainers", "animated-explainer-videos", VIDEO)
VOICE = Subcategory(16, "Voice Over", "voice-overs", MUSIC)
PODCAST = Subcategory(231, "Podcast Editing", "podcast-editing", MUSIC)
DATA_ENTRY = Subcategory(452, "Data Entry", "data-entry", DATA)
DATA_VIZ = Subcategory(456, "Data Visualization", "data-visualization", DATA)
VA = Subcategory(272, "Virtual Assistant", "virtual-assistant-services", BUSINESS)
BIZ_PLAN = Subcategory(275, "Business Plans", "business-plans", BUSINESS)
REPUTATION = Subcategory(301, "Online Reputation Management", "online-reputation-management", MARKETING)

_GREETINGS = ("Hello, Greetings.", "Hi there!", "Welcome to my gig!", "Hello and thank you for stopping by.")

LEGIT_SERVICES: tuple[Service, ...] = (
    Service("logo", LOGO,
            ("design a {adj} minimalist logo for your business", "create a {adj} logo design with unlimited revisions",
             "design a professional and beautiful logo", "create a top quality retro vintage logo for you"),
            ("logo design", "minimalist logo", "brand identity", "business logo", "vintage logo"),
            ("I create clean, memorable logos that fit your brand.", "Every concept is drawn from scratch.",
             "You get vector source files ready for print and web."),
            ("2 logo concepts", "Transparent PNG", "Vector source file", "Social media kit"), (10, 60)),
    Service("illustration", ILLUSTRATION,
            ("draw a {adj} digital illustration of your character", "create a cute cartoon portrait from your photo"),
            ("illustration", "digital art", "cartoon portrait", "character design"),
            ("I paint detailed digital illustrations in any style.", "Commercial use is included."),
            ("High resolution file", "Full colour", "Background included"), (15, 90)),
    Service("cards", BUSINESS_CARDS,
            ("design a {adj} business card and stationery", "create luxury business card designs"),
            ("business card", "stationery design", "letterhead", "print design"),
            ("Print-ready business cards with bleed and crop marks.", "Double sided designs on request."),
            ("Print ready PDF", "Double sided", "Source file"), (5, 40)),
    Service("website", WEBSITE,
            ("build a {adj} wordpress website for your business", "develop a custom website as full stack developer",
             "build custom website as full stack website developer, website development",
             "create a responsive landing page with html css and javascript"),
            ("website development", "wordpress website", "web design", "landing page", "full stack developer"),
            ("I build fast, responsive websites with clean code.", "SEO friendly structure and mobile first layout.",
             "I also migrate existing sites without downtime."),
            ("Responsive design", "Contact form", "Speed optimization", "5 pages"), (50, 400)),
    Service("shopify", ECOMMERCE,
            ("design and set up your shopify store", "build a profitable shopify dropshipping store"),
            ("shopify store", "shopify website", "dropshipping", "ecommerce website"),
            ("I set up Shopify stores that are ready to sell.", "Theme customisation, apps and payment setup."),
            ("Theme setup", "Product upload", "Payment gateway"), (40, 300)),
    Service("mobile", MOBILE,
            ("develop a flutter mobile app for ios and android", "build a react native app for your startup"),
            ("mobile app", "flutter", "react native", "ios app", "android app"),
            ("Cross-platform apps with a single code base.", "Publishing to both stores is included."),
            ("Source code", "App icon", "Store submission"), (100, 900)),
    Service("python", SOFTWARE,
            ("write a python script to automate your task", "develop a web scraper and automation bot in python"),
            ("python", "automation", "web scraping", "script"),
            ("I write tested, documented Python code.", "Scrapers, bots, data pipelines and small tools."),
            ("Source code", "Documentation", "Setup support"), (20, 200)),
    Service("backlinks", SEO,
            ("build high authority seo backlinks for google ranking", "do monthly off page seo with dofollow backlinks",
             "provide 1000 seo backlinks for higher ranking"),
            ("seo backlinks", "off page seo", "link building", "dofollow backlinks", "google ranking"),
            ("White-hat link building on relevant, high authority sites.", "Full report with every live link."),
            ("Detailed report", "Dofollow links", "Keyword research"), (10, 150)),
    Service("onpage", SEO,
            ("do complete on page seo for your wordpress website", "fix technical seo issues and speed up your site"),
            ("on page seo", "technical seo", "wordpress seo", "site audit"),
            ("Meta tags, schema, internal links and Core Web Vitals.", "I explain every change I make."),
            ("Site audit", "Meta tags", "Schema markup"), (25, 200)),
    Service("social", SOCIAL,
            ("be your social media marketing manager and content creator",
             "manage your instagram and grow it organically",
             "create {adj} social media posts for your brand"),
            ("social media marketing", "instagram marketing", "social media manager", "content creation"),
            ("I plan, design and schedule posts for your brand.", "Organic growth only, no bots."),
            ("Content calendar", "Post design", "Hashtag research"), (30, 300)),
    Service("fbads", SOCIAL,
            ("set up and manage your facebook ads campaign", "run profitable facebook and instagram ads"),
            ("facebook ads", "meta ads", "instagram ads", "ads campaign"),
            ("Audience research, pixel setup and campaign management.", "Weekly reporting on every ad set."),
            ("Pixel setup", "Audience research", "Ad copy"), (50, 400)),
    Service("translation", TRANSLATION,
            ("translate english to spanish, french or german", "provide professional english to german translation",
             "translate your website and documents accurately"),
            ("translation", "english to spanish", "german translation", "document translation"),
            ("Native speaker, human translation only.", "Terminology kept consistent across your documents."),
            ("Proofreading", "Native speaker", "Source file"), (10, 120)),
    Service("proofreading", PROOFREADING,
            ("proofread and edit your english document", "do professional proofreading and copy editing"),
            ("proofreading", "editing", "copy editing", "grammar check"),
            ("Grammar, spelling, clarity and flow.", "Tracked changes so you see every edit."),
            ("Tracked changes", "Grammar check", "Style suggestions"), (10, 80)),
    Service("resume_write", RESUME,
            ("write a professional resume, cv and cover letter", "craft an ats friendly resume for your job search"),
            ("resume writing", "cv writing", "cover letter", "linkedin profile"),
            ("ATS-friendly resumes written by a certified writer.", "Tailored to the job you want."),
            ("Cover letter", "Editable file", "LinkedIn summary"), (25, 150)),
    Service("blog", ARTICLES,
            ("write seo blog posts and articles for your website", "write engaging blog articles on any topic"),
            ("blog writing", "article writing", "seo content", "content writing"),
            ("Well researched, original articles.", "Optimised for your target keywords."),
            ("1000 words", "Keyword optimization", "Plagiarism check"), (15, 150)),
    Service("video", VIDEO_EDITING,
            ("do professional video editing for youtube", "edit your short form videos for tiktok and reels",
             "edit your youtube videos with motion graphics"),
            ("video editing", "youtube video", "reels editing", "motion graphics"),
            ("Cuts, colour grading, captions and sound design.", "Fast turnaround for creators."),
            ("Colour grading", "Subtitles", "Background music"), (20, 200)),
    Service("explainer", EXPLAINER,
            ("create a 2d animated explainer video", "make a whiteboard animation for your product"),
            ("explainer video", "2d animation", "whiteboard animation", "animated video"),
            ("Script, voice over and animation in one package.", "Made for landing pages and ads."),
            ("Script writing", "Voice over", "Background music"), (60, 500)),
    Service("voice", VOICE,
            ("record a warm american male voice over", "be your professional female voice over artist",
             "record a british english voice over for your video"),
            ("voice over", "male voice", "female voice", "american accent", "narration"),
            ("Broadcast quality audio from a treated studio.", "Commercial rights included."),
            ("Studio quality", "Background music", "Script editing"), (10, 150)),
    Service("podcast", PODCAST,
            ("edit and mix your podcast episode", "do professional podcast editing and audio cleanup"),
            ("podcast editing", "audio editing", "noise removal", "mixing"),
            ("Noise removal, levelling and clean cuts.", "Show notes on request."),
            ("Noise removal", "Intro and outro", "Show notes"), (15, 120)),
    Service("dataentry", DATA_ENTRY,
            ("do fast and accurate data entry and copy paste work", "do excel data entry and web research"),
            ("data entry", "copy paste", "excel data entry", "web research"),
            ("Accurate, fast and confidential work.", "Excel, Google Sheets or CSV."),
            ("Excel file", "Web research", "Data cleaning"), (5, 60)),
    Service("dashboard", DATA_VIZ,
            ("create interactive power bi dashboards", "build excel dashboards and reports"),
            ("power bi", "excel dashboard", "data visualization", "reports"),
            ("Clear dashboards your team will actually use.", "Connected to your live data."),
            ("Interactive charts", "Data model", "Source file"), (40, 400)),
    Service("va", VA,
            ("be your reliable virtual assistant", "be your personal virtual assistant for admin tasks"),
            ("virtual assistant", "admin support", "email management", "personal assistant"),
            ("Inbox, calendar and research handled for you.", "Available in your time zone."),
            ("Email management", "Calendar", "Research"), (10, 100)),
    Service("bizplan", BIZ_PLAN,
            ("write an investor ready business plan", "create a business plan and financial projections"),
            ("business plan", "financial projections", "startup", "pitch deck"),
            ("Investor-ready plans with realistic financials.", "Market research included."),
            ("Financial model", "Market research", "Executive summary"), (80, 600)),
)

LOOKALIKE_SERVICES: tuple[Service, ...] = (
    Service("resume_review", RESUME,
            ("review your resume and give detailed feedback", "review and rewrite your resume and cv",
             "give an honest review of your resume and linkedin profile"),
            ("resume review", "cv review", "resume feedback", "career coaching"),
            ("I am a recruiter and I review resumes every day.", "You get line by line feedback and a rewrite plan.",
             "Honest advice on what hiring managers look for."),
            ("Written feedback", "Video walkthrough", "Follow-up questions"), (15, 90)),
    Service("amazon_listing", ECOMMERCE,
            ("optimize your amazon listing with seo title and bullet points",
             "do amazon listing optimization and keyword research"),
            ("amazon listing", "amazon seo", "listing optimization", "amazon fba", "amazon"),
            ("Keyword-rich titles, bullets and backend search terms.", "Based on real search volume data.",
             "I follow Amazon's style guide and terms of service."),
            ("Keyword research", "Title and bullets", "Backend keywords"), (20, 150)),
    Service("amazon_aplus", ECOMMERCE,
            ("design amazon a plus content and ebc images", "create premium amazon a+ content for your brand"),
            ("amazon a+ content", "amazon ebc", "listing images", "amazon brand store", "amazon"),
            ("Eye-catching A+ modules that lift conversion.", "Brand-registered sellers only."),
            ("5 modules", "Mobile ready", "Source files"), (40, 250)),
    Service("amazon_desc", PRODUCT_DESC,
            ("write amazon product descriptions that convert", "write persuasive product descriptions for your store"),
            ("amazon product description", "product description", "copywriting", "ecommerce copy", "amazon"),
            ("Benefit-driven copy for Amazon, Shopify and Etsy.",
             "I read your customer reviews to find the words buyers use."),
            ("SEO keywords", "Bullet points", "Unlimited revisions"), (10, 80)),
    Service("code_review", QA,
            ("do a professional code review of your python or javascript project",
             "review your code for bugs, security and performance"),
            ("code review", "python", "javascript", "refactoring", "security audit"),
            ("Senior engineer with 10 years of experience.", "A written report with concrete fixes, not vague advice."),
            ("Written report", "Security check", "Refactoring tips"), (30, 300)),
    Service("review_replies", REPUTATION,
            ("reply to your google reviews professionally for your business",
             "respond to your customer reviews on google and yelp"),
            ("google reviews", "review response", "customer service", "reputation management"),
            ("Polite, on-brand replies to every customer review, good or bad.",
             "I never post or buy reviews; I only answer the ones you already have."),
            ("Up to 50 replies", "Brand voice guide", "Negative review handling"), (15, 120)),
    Service("beta_reading", BOOK_EDITING,
            ("beta read your novel and write an editorial review", "be your beta reader and give manuscript feedback"),
            ("beta reading", "manuscript review", "editorial review", "book feedback", "novel"),
            ("An avid reader of fantasy, romance and thrillers.",
             "Chapter by chapter notes on plot, pacing and character."),
            ("Editorial letter", "Chapter notes", "Reader report"), (30, 250)),
    Service("review_emails", EMAIL_COPY,
            ("write review request email templates for your store",
             "write post purchase email flows that ask for honest feedback"),
            ("review request email", "email templates", "klaviyo", "customer feedback", "email marketing"),
            ("Friendly follow-up emails that comply with marketplace rules.",
             "No incentives, no gating: just a polite request for honest feedback."),
            ("3 templates", "Subject lines", "Klaviyo setup"), (20, 150)),
    Service("app_ux_review", QA,
            ("do an app ux review and usability audit", "review your mobile app ux and give expert recommendations"),
            ("app ux review", "app review", "usability testing", "ux audit", "mobile app"),
            ("I test your app like a real user and record every friction point.",
             "Prioritised fixes with screenshots."),
            ("Video recording", "Written report", "Heuristic evaluation"), (40, 300)),
    Service("reputation_report", REPUTATION,
            ("create an online reputation report for your brand", "analyze your customer reviews and brand sentiment"),
            ("reputation report", "online reputation", "brand monitoring", "review analysis", "sentiment analysis"),
            ("I collect what customers say about you across the web.", "A clear report with trends and next steps."),
            ("Sentiment analysis", "Competitor comparison", "PDF report"), (40, 300)),
    Service("trustpilot_widget", WEBSITE,
            ("integrate trustpilot reviews widget into your shopify store", "add a reviews widget to your website"),
            ("trustpilot", "reviews widget", "shopify", "website integration"),
            ("I embed your existing Trustpilot or Google reviews on your site.", "Lightweight and mobile friendly."),
            ("Widget setup", "Custom styling", "Testing"), (15, 100)),
    Service("yelp_page", LOCAL_SEO,
            ("set up and optimize your yelp business page", "optimize your google business profile for local seo"),
            ("yelp", "google business profile", "local seo", "google maps seo", "yelp business page"),
            ("Complete business profiles with categories, photos and hours.",
             "Local citations on trusted directories."),
            ("Profile setup", "Photo upload", "Citation audit"), (20, 150)),
    Service("review_articles", ARTICLES,
            ("write honest in depth product review articles for your blog",
             "write affiliate product review blog posts"),
            ("product review article", "affiliate content", "blog writing", "buying guide"),
            ("Hands-on, honest roundups for affiliate sites.", "Clear disclosure and pros and cons for every product."),
            ("2000 words", "Comparison table", "SEO optimization"), (25, 200)),
)

# Closing sentences. The last one is the common, innocent "look at my reviews" bait a naive matcher trips on.
CLOSINGS = (
    "Please contact me before placing an order.",
    "Feel free to message me with any questions.",
    "Let's discuss your project!",
    "Have a look at my reviews from happy clients.",
)
GREETINGS = _GREETINGS
ADJECTIVES = ("modern", "unique", "professional", "creative", "clean", "stunning", "custom")

FIRST_NAMES = (
    "ahmed", "anna", "carlos", "diana", "emeka", "fatima", "george", "hana", "ivan", "julia", "kamal", "lucia",
    "mark", "nadia", "omar", "priya", "quentin", "rosa", "sam", "tariq", "uma", "victor", "wei", "yusuf", "zara",
    "toni", "olga", "pedro", "sofia", "ali", "maria", "john", "li", "mehmet", "ana", "raj", "chen", "kevin",
)
LAST_INITIALS = "ABCDEFGHIJKLMNOPRSTVWZ"
HANDLE_WORDS = (
    "design", "studio", "creative", "pixel", "web", "dev", "code", "media", "pro", "art", "seo", "digital",
    "works", "lab", "hub", "craft", "expert", "solutions", "writer", "voice", "edits", "data", "brand", "motion",
)
REVIEW_HANDLE_WORDS = (
    "growth", "boost", "rank", "stars", "rating", "market", "buzz", "promo", "trust", "local", "social", "mkt",
)

COUNTRIES: dict[str, str] = {
    "US": "United States", "GB": "United Kingdom", "IN": "India", "PK": "Pakistan", "BD": "Bangladesh",
    "NG": "Nigeria", "UA": "Ukraine", "DE": "Germany", "FR": "France", "ES": "Spain", "IT": "Italy",
    "BR": "Brazil", "PT": "Portugal", "CA": "Canada", "AU": "Australia", "PH": "Philippines", "EG": "Egypt",
    "KE": "Kenya", "VN": "Vietnam", "ID": "Indonesia", "LK": "Sri Lanka", "NL": "Netherlands", "PL": "Poland",
    "TR": "Turkey", "MA": "Morocco", "HR": "Croatia", "RO": "Romania", "MX": "Mexico", "AR": "Argentina",
    "RS": "Serbia",
}
COUNTRY_CODES = tuple(COUNTRIES)
TIMEZONES = ("America/New_York", "Europe/London", "Asia/Kolkata", "Asia/Karachi", "Asia/Dhaka", "Europe/Berlin",
             "Africa/Lagos", "Europe/Kiev", "America/Sao_Paulo", "Asia/Manila")
LANGUAGE_CODES = ("en", "es", "fr", "de", "it", "pt", "ru", "hi", "ur", "bn", "ar", "uk", "hr", "tr")
LEVELS = ("level_one_seller", "level_two_seller", "top_rated_seller")
LEVEL_ENUMS = {"level_one_seller": "LEVEL_ONE", "level_two_seller": "LEVEL_TWO", "top_rated_seller": "LEVEL_TRS"}
LANGUAGE_LEVELS = {1: "BASIC", 2: "CONVERSATIONAL", 3: "FLUENT", 4: "NATIVE_OR_BILINGUAL"}

BUYER_COMMENTS = {
    "legit": (
        "Great work, fast delivery and very professional.",
        "Excellent communication, exactly what I needed.",
        "Second order with this seller and again perfect.",
        "Very patient with my revisions. Recommended!",
    ),
    "lookalike": (
        "Very helpful and honest feedback, thank you.",
        "Clear report with actionable advice.",
        "Knows the subject well, will order again.",
    ),
    "review_seller": (
        "All reviews were posted within two days and none dropped.",
        "Got my 5 star ratings, thanks! Will order more.",
        "Reviews look natural, different accounts as promised.",
    ),
}
REVIEWER_NAMES = ("jaydanikole", "mark_b", "sunnyshop", "brandlab_co", "petra_k", "nomadcoder", "lisawrites")

SERVICES_BY_KEY: dict[str, Service] = {s.key: s for s in LEGIT_SERVICES + LOOKALIKE_SERVICES}
