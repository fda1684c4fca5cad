"""How clients word job posts on the job board: buyers of fake reviews, honest look-alikes, ordinary work.

Buyers of reviews post openly ("need 50 Amazon reviews from different accounts"), as paid "reviewer" jobs, or as
refund-after-review schemes. Look-alike posts use the same words for honest work: a code review, replies to
Google reviews, review request emails within Amazon's terms, beta readers. Skills are the site's skill names.
"""

from __future__ import annotations

from dataclasses import dataclass

from testbed.dice import Dice


@dataclass(frozen=True, slots=True)
class JobPost:
    title: str
    description: str
    skills: tuple[str, ...]
    budget: tuple[int, int]
    hourly: bool
    truth: str


# (title, description, skills, budget range); {n} is a number of reviews, {p} a price per review
REVIEW_BUYER_POSTS = (
    ("Need {n} Amazon reviews from different accounts",
     "We sell kitchen gadgets on Amazon and need {n} verified reviews from different accounts and different IPs. "
     "Each reviewer must buy the product first. Paid per review after the review is live.",
     ("Amazon", "Product Reviews", "Internet Marketing"), (30, 250)),
    ("Looking for people to leave 5 star Google reviews for my restaurant",
     "We need real looking 5 star Google Maps reviews for our new restaurant. Please use aged accounts with "
     "profile photos. ${p} per review.", ("Google Maps", "Local SEO", "Internet Marketing"), (20, 150)),
    ("Hiring reviewers: buy our product on Amazon, leave a review, get a full refund",
     "Buy our product on Amazon, leave a 5 star review with photos and you get a full refund via PayPal plus a "
     "${p} bonus. US reviewers only.", ("Amazon", "Product Reviews"), (10, 100)),
    ("Need Trustpilot reviews for my company",
     "Looking for someone who can post {n} positive Trustpilot reviews for my online shop. Reviews must not "
     "drop. Budget is per review.", ("Internet Marketing", "Social Media Marketing"), (30, 250)),
    ("Want {n} positive Yelp reviews posted from USA accounts",
     "I want {n} positive Yelp reviews for my dental clinic, posted slowly from USA accounts with history. Long "
     "term work for the right person.", ("Local SEO", "Internet Marketing"), (50, 300)),
    ("App store ratings needed for our new app",
     "We need {n} five star ratings and written reviews on the Google Play Store and the App Store for our "
     "fitness app, from real devices.", ("Mobile App Marketing", "App Store Optimization"), (100, 500)),
    ("Google Maps reviewers wanted - long term",
     "Seeking a team to write Google Maps reviews for several local businesses every month. Must have many "
     "Gmail accounts. Paying ${p} for each review.", ("Google Maps", "Local SEO"), (8, 15)),
    ("Need TripAdvisor reviews for our hotel",
     "Our hotel needs {n} TripAdvisor reviews from travellers in Europe, 4 and 5 stars. Provide screenshots "
     "after posting.", ("Travel Writing", "Internet Marketing"), (50, 200)),
    ("Kindle book reviews wanted",
     "Need {n} Amazon reviews for my new Kindle book within 2 weeks. Verified purchase preferred, I will "
     "reimburse the book.", ("Amazon Kindle", "Book Marketing"), (30, 250)),
)

LOOKALIKE_POSTS = (
    ("I need someone to review my Python code",
     "Looking for a senior Python developer to review my Django project for bugs, security issues and "
     "performance. Written report required.", ("Python", "Django", "Code Review"), (100, 400)),
    ("Write product descriptions for my Amazon listing",
     "I need persuasive product descriptions and bullet points for 10 Amazon listings in the home and kitchen "
     "category. SEO keywords provided.", ("Copywriting", "Amazon Listing", "Product Descriptions"), (50, 200)),
    ("Need help responding to Google reviews of my hotel",
     "Looking for a virtual assistant to write polite replies to customer reviews of our hotel on Google and "
     "TripAdvisor, about 40 per week.", ("Virtual Assistant", "Customer Support"), (8, 15)),
    ("Proofread and review my thesis",
     "Please proofread and review my master thesis (60 pages) for grammar, clarity and structure. Track changes "
     "in Word.", ("Proofreading", "Academic Writing"), (50, 150)),
    ("Set up automated review request emails for my Amazon store",
     "I want automated emails that ask my Amazon customers for feedback after delivery, compliant with Amazon "
     "terms of service.", ("Email Marketing", "Amazon Seller Central"), (100, 300)),
    ("Analyse our app store reviews and summarise complaints",
     "Export our app store reviews from the last year, categorise the complaints and write a short report with "
     "charts.", ("Data Analysis", "Excel"), (100, 250)),
    ("Build a review widget for our Shopify store",
     "We need a developer to add a product review widget to our Shopify theme that shows ratings from our "
     "existing customers.", ("Shopify", "JavaScript", "Liquid"), (150, 400)),
    ("Beta readers needed for my fantasy novel",
     "Looking for 3 beta readers to read my 90k word fantasy novel and give honest feedback on plot and "
     "characters.", ("Beta Reading", "Fiction Writing"), (50, 150)),
    ("Code review of a React Native app",
     "Need an experienced React Native engineer to review the code of our mobile app and suggest improvements.",
     ("React Native", "Mobile App Development", "Code Review"), (200, 600)),
)

LEGIT_POSTS = (
    ("Build a Python web scraper for real estate listings",
     "Scrape listings from three property websites into a CSV file every day. Must handle pagination and login.",
     ("Python", "Web Scraping"), (100, 400)),
    ("Logo design for a coffee shop",
     "Looking for a modern minimalist logo for my new coffee shop. Please show your portfolio.",
     ("Logo Design", "Graphic Design"), (30, 150)),
    ("WordPress website for a law firm",
     "Need a 6 page WordPress website with contact form, responsive design and basic on page SEO.",
     ("WordPress", "Website Design", "PHP"), (250, 750)),
    ("Data entry from PDF invoices to Excel",
     "About 500 PDF invoices need to be typed into an Excel template. Accuracy is important.",
     ("Data Entry", "Excel"), (30, 100)),
    ("Translate a website from English to German",
     "Translate 8,000 words of website content into German. Native speaker only.",
     ("Translation", "German Translator"), (100, 300)),
    ("Flutter developer for a delivery app",
     "Build a delivery app for iOS and Android in Flutter with Firebase backend and payment integration.",
     ("Flutter", "Mobile App Development", "Firebase"), (750, 1500)),
    ("Facebook ads campaign for an online course",
     "Set up and manage Facebook and Instagram ads for our online course launch, budget $1500 per month.",
     ("Facebook Marketing", "Advertising"), (250, 750)),
    ("Shopify store setup",
     "Set up a Shopify store with 30 products, payment gateway and a clean theme.",
     ("Shopify", "eCommerce"), (100, 300)),
    ("Video editing for YouTube channel",
     "Edit 4 videos per month for a cooking channel, 10 minutes each, with subtitles.",
     ("Video Editing", "Video Production"), (15, 25)),
    ("Bookkeeping in QuickBooks",
     "Reconcile 12 months of bank statements in QuickBooks Online for a small business.",
     ("Bookkeeping", "Accounting"), (15, 30)),
)

POSTS = {"review_buyer": REVIEW_BUYER_POSTS, "lookalike": LOOKALIKE_POSTS, "legit": LEGIT_POSTS}
HOURLY_SKILL_RANGES = {(8, 15), (15, 25), (15, 30)}  # budgets given per hour

CLIENT_FIRST = ("mark", "sara", "jon", "priya", "li", "omar", "anna", "diego", "kate", "tom", "nina", "raj")
CLIENT_LAST = ("smith", "k", "design", "shop", "ventures", "media", "labs", "store", "co", "group")
CLIENT_COUNTRIES = ("United States", "United Kingdom", "India", "Australia", "Germany", "Canada", "Pakistan",
                    "United Arab Emirates", "Spain", "Nigeria")


def job_post(rng: Dice, truth: str) -> JobPost:
    """One job post of the given truth, with its number and price placeholders filled in."""
    title, description, skills, budget = rng.pick(POSTS[truth])
    n, p = rng.pick((10, 20, 30, 50, 100)), rng.pick((2, 3, 5, 8))
    return JobPost(
        title=title.format(n=n, p=p), description=description.format(n=n, p=p), skills=skills, budget=budget,
        hourly=budget in HOURLY_SKILL_RANGES, truth=truth,
    )
