"""Freelancer.com page objects on the real captured pages: every card, the project page, the API objects."""

from __future__ import annotations

import json

import pytest

from conftest import read_page
from crawler.items import DETAIL_CARD, DETAIL_PAGE
from crawler.pages.common import Blocked, PageError
from crawler.pages.freelancer import (
    FreelancerApiPage,
    FreelancerJobsPage,
    FreelancerProjectPage,
    merge_card,
    parse_budget,
    parse_freelancer,
)
from crawler.spiders.freelancer import skill_path

JOBS_URL = "https://www.freelancer.com/jobs/python_django_scrapy"
PROJECT_URL = "https://www.freelancer.com/projects/python/need-odoo-developer-move-from"
API_URL = "https://www.freelancer.com/api/projects/0.1/projects/active/?query=python"

# Every public card of jobs-listing_python_django_scrapy.html, in page order:
# (project path after /projects/, title (first 40 characters), average bid, hourly, bids, number of skills).
CARDS = [
    ('python/need-odoo-developer-move-from', 'I need an ODOO developer to move from on', 541, False, 1, 5),
    ('javascript/app-developer-37345124', 'App Developer', 13, True, 12, 5),
    ('python/selenium-python-api-37344994', 'selenium, python, api -- 2', 45, False, 10, 5),
    ('python/request-for-proposal-rfp-for', 'Request for Proposal (RFP) for the devel', 10380, False, 29, 5),
    ('python/python-data-recovery-software', 'Python Data Recovery Software', 4, True, 5, 4),
    ('javascript/create-few-micro-bit-extensions', 'Create few Micro:bit extensions in MakeC', 44, False, 4, 5),
    ('php/website-scrape-past-logon-screen', 'Website scrape past logon screen', 149, False, 41, 5),
    ('statistics/machine-learning-model-37344872', 'Machine Learning Model', 163, False, 24, 5),
    ('python/develop-experiment-with-algorithms', 'Develop and experiment with algorithms s', 99, False, 11, 3),
    ('python/document-processing-solution-using', 'Document processing solution by using AI', 4007, False, 34, 5),
    ('snowflake/need-create-snowflake-task-which', 'Need to create a snowflake task which sh', 150, False, 1, 2),
    ('django/django-developer-37344574', 'Django Developer', 363, False, 22, 5),
    ('python/freelance-erpnext-customization', 'Freelance ERPNext Customization Speciali', 334, False, 12, 4),
    ('linux/computer-vision', 'computer vision', 300, False, 6, 4),
    ('python/need-crypto-tringular-arbitrage-system', 'I need a crypto tringular arbitrage syst', 26, False, 3, 3),
    ('tensorflow/created-model-that-fills-the', 'Created a model that fills the camera fl', 23, False, 5, 2),
    ('python/computer-vision-37344358', 'computer vision', 809, False, 40, 3),
    ('linux/erpnext-installation-ubuntu', 'erpnext installation in ubuntu', 129, False, 17, 5),
    ('css/phyton-developer', 'Phyton Developer', 292, False, 27, 4),
    ('php/build-after-sales-service-application', 'Build After-Sales Service Application in', 6013, False, 46, 5),
    ('python/need-odoo-expert-support-work', 'Need Odoo expert to support my work', 19, True, 23, 3),
    ('web-scraping/website-scraping-37343856', 'website scraping', 294, False, 56, 5),
    ('python/rsa-chat-app-for-encryption', 'RSA Chat App For Encryption and Decrypti', 13, False, 2, 2),
    ('php/whatapps-crm-existing-product-with-37343788', 'Whatapps CRM Existing product with Sourc', 4452, False, 26, 5),
    ('mobile-app-development/com-app-with-different-shipping', 'e com app with different shipping rates',
     146, False, 6, 5),
    ('java/dialog-flow-signalwire-google-speech', 'Dialog flow on Signalwire and Google spe', 523, False, 14, 3),
    ('javascript/python-django-expert-37343718', 'Python Django expert -- 2', 19, True, 51, 5),
    ('natural-language-processing-help-needed', 'Natural Language Processing help needed', 6, True, 19, 5),
    ('linux/rest-api-setup', 'rest api setup', 167, False, 25, 5),
    ('html/tool-that-helps-create-stunning', 'AI tool that helps create stunning prese', 1148, False, 41, 5),
    ('java/scala-simple-programming', 'Scala simple programming', 54, False, 9, 4),
    ('python/algorithm-developement', 'Algorithm developement', 123, False, 26, 5),
    ('web-scraping/catalogue-scrape-json-xml-file', 'Catalogue scrape of a json or xml file t', 104, False, 22, 5),
    ('php/edit-pdf-using-python-computer', 'Edit a PDF using python on my computer', 30, False, 14, 5),
    ('robotics/robo-weeder-for-paddy', 'Robo Weeder for Paddy', 1146, False, 25, 4),
    ('html/building-portfolio', 'Building a portfolio', 28, False, 15, 4),
    ('python/alexa-skill-set-play-messages', 'Alexa Skill Set to Play Messages From Ap', 540, False, 10, 5),
    ('python/numerical-methods-advanced-programming', 'Numerical Methods and advanced programmi', 23, False, 18, 5),
    ('artificial-intelligence/job-have-audio-file-with', 'AI job: I have an audio file with the sc', 50, False, 9, 4),
    ('python/apply-super-resolution-with-tensorflow', 'Apply Super Resolution with tensorflow', 22, False, 10, 2),
    ('python/ondemand-services-solution', 'Ondemand services solution', 706, False, 54, 5),
    ('python/edu-tech-applications', 'Edu tech applications', 418, False, 17, 6),
    ('web-scraping/api-project-compare-prices-data', 'API project compare prices and data betw', 24, False, 14, 4),
    ('python/whatsapp-chat-bot-builder', 'Whatsapp Chat bot Builder', 8, True, 10, 4),
    ('php/tools-development-for-bulk-youtube-37342367', 'Tools development for Bulk youtube video', 416, False, 13, 5),
    ('python/python-code-scraping', 'Python Code Scraping', 15, False, 49, 5),
    ('mobile-app-development/software-development-37342168', 'software development', 2345, False, 13, 5),
]
PRIVATE_IDS = [37344601, 37344300, 37343647]


@pytest.fixture(scope="module")
def jobs() -> FreelancerJobsPage:
    return FreelancerJobsPage(read_page("freelancer/jobs-listing_python_django_scrapy.html"), JOBS_URL)


@pytest.fixture(scope="module")
def project() -> FreelancerProjectPage:
    return FreelancerProjectPage(read_page("freelancer/project_python_need-odoo-developer-move-from.html"), PROJECT_URL)


def api_json() -> str:
    """The saved API sample is wrapped as a JS module (``export default [ ... ,]``); unwrap it to JSON."""
    body = read_page("freelancer/api_projects-active_10-projects_as-js-module.js").strip()
    body = body.removeprefix("export default").strip()
    return body[:-1].rstrip().rstrip(",") + "]"


@pytest.fixture(scope="module")
def api() -> FreelancerApiPage:
    return FreelancerApiPage(api_json(), API_URL)


def test_jobs_page_accounts_for_all_fifty_cards(jobs: FreelancerJobsPage) -> None:
    assert jobs.card_count == 50
    assert len(jobs.listings) == len(CARDS) == 47
    assert jobs.private_project_ids == PRIVATE_IDS
    assert jobs.skipped == 0


@pytest.mark.parametrize("index", range(len(CARDS)))
def test_every_public_card(jobs: FreelancerJobsPage, index: int) -> None:
    path, title, avg_bid, hourly, bids, skills = CARDS[index]
    listing = jobs.listings[index]
    assert listing.url == f"https://www.freelancer.com/projects/{path}"
    assert listing.external_id == path.rsplit("/", 1)[-1]
    assert listing.title.startswith(title) and len(listing.title) >= len(title)
    assert listing.kind == "job" and listing.marketplace == "freelancer" and listing.detail == DETAIL_CARD
    assert listing.extra["avg_bid"] == avg_bid
    assert listing.extra["hourly"] is hourly
    assert listing.extra["bid_count"] == bids
    assert len(listing.tags) == skills
    assert listing.price is None  # a card shows the average bid, not the budget
    assert listing.currency == "USD"
    assert listing.description


def test_card_details(jobs: FreelancerJobsPage) -> None:
    first, selenium = jobs.listings[0], jobs.listings[2]
    assert first.tags == ["ERP", "MySQL", "PHP", "Python", "Software Architecture"]
    assert first.description.startswith("Are you an experienced ODOO developer?")
    assert first.extra["time_left"] == "6 days left"
    assert first.extra["payment_verified"] is False
    assert selenium.extra["payment_verified"] is True
    assert selenium.tags == ["Python", "Selenium Webdriver", "Software Architecture", "Test Automation", "Web Scraping"]
    # the card's line breaks are kept, so list items stay apart
    assert "\n- I am looking for a freelancer to help with test automation" in selenium.description
    assert sum(1 for card in jobs.listings if card.extra["payment_verified"]) == 29


def test_jobs_page_next_link(jobs: FreelancerJobsPage) -> None:
    assert jobs.next_page_url() == "https://www.freelancer.com/jobs/python_django_scrapy/2"


def test_project_page_fields(project: FreelancerProjectPage) -> None:
    listing = project.listing
    assert project.project_id == 37345093
    assert listing.external_id == "37345093"
    assert listing.url == PROJECT_URL
    assert listing.title == (
        "I need an ODOO developer to move from online to on premise on our server and also help do "
        "customisations in Delhi NCR."
    )
    assert listing.description.startswith("Are you an experienced ODOO developer? I am looking for someone")
    assert listing.description.endswith("I look forward to hearing from you!")
    assert listing.tags == ["Python", "ERP", "Software Architecture", "PHP", "MySQL"]
    assert listing.category == "Python"
    assert (listing.price, listing.currency) == (1500.0, "INR")
    assert listing.kind == "job" and listing.detail == DETAIL_PAGE and listing.source == "project"
    extra = listing.extra
    assert (extra["budget_min"], extra["budget_max"], extra["hourly"]) == (1500.0, 12500.0, False)
    assert extra["status"] == "open"
    assert extra["payment"] == "Paid on delivery"
    assert extra["posted"] == "Posted recently"
    assert extra["ends_in_days"] == 6
    assert extra["client_location"] == "Noida, India"
    assert extra["client_verifications"] == {
        "payment": False, "email": True, "profile": False, "phone": True, "deposit": False,
    }


def test_project_page_client_is_anonymous_but_stable(project: FreelancerProjectPage) -> None:
    """The logged-out page does not name the client: the seller is keyed to the project."""
    assert project.client_username is None
    assert project.listing.seller == "client-of:37345093"
    seller = project.seller
    assert seller.username == "client-of:37345093"
    assert seller.profile_url == PROJECT_URL
    assert seller.country == "India"
    assert seller.member_since == "2023-10-23T00:00:00Z"
    assert (seller.rating, seller.review_count) == (0.0, 0)


def test_merge_card_adds_bids_to_project_listing(jobs: FreelancerJobsPage, project: FreelancerProjectPage) -> None:
    merged = merge_card(project.listing, jobs.listings[0].extra)
    assert merged.extra["bid_count"] == 1
    assert merged.extra["avg_bid"] == 541.0
    assert merged.extra["budget_max"] == 12500.0
    assert merged.external_id == "37345093"


def test_api_objects(api: FreelancerApiPage) -> None:
    listings = {listing.external_id: listing for listing in api.listings}
    assert len(listings) == 10
    magento = listings["31556945"]
    assert magento.title == "Magento 2 Infinite Scroll on Category pages"
    assert magento.url == "https://www.freelancer.com/projects/magento/Magento-Infinite-Scroll-Category-pages"
    assert magento.seller == "monetise"
    assert magento.seller_profile_url == "https://www.freelancer.com/u/monetise"
    assert magento.tags == ["PHP", "JavaScript", "Magento", "HTML"]
    assert magento.category == "Websites, IT & Software"
    assert (magento.price, magento.currency) == (250.0, "USD")
    assert magento.extra["budget_max"] == 750.0
    assert magento.extra["bid_count"] == 35
    assert magento.extra["avg_bid"] == pytest.approx(422.43, abs=0.01)
    assert magento.extra["owner_id"] == 1411374
    assert magento.extra["submitted_at"] == "2021-09-20T08:48:08Z"
    meteor = listings["31556918"]
    assert (meteor.price, meteor.currency, meteor.extra["hourly"]) == (10.0, "GBP", True)
    assert meteor.seller == "Jberman44"
    game = listings["31555987"]
    assert (game.price, game.extra["budget_max"], game.currency) == (37500.0, 75000.0, "INR")
    assert game.description.startswith("We are looking for an expert web-based game developer")
    assert game.detail == DETAIL_PAGE
    assert {listing.seller for listing in api.listings} >= {"monetise", "MuktaSadana", "DataKund", "nguyenhopquang"}


def test_api_clients(api: FreelancerApiPage) -> None:
    sellers = {seller.username: seller for seller in api.sellers}
    assert len(sellers) == 10
    monetise = sellers["monetise"]
    assert monetise.display_name == "Justin G."
    assert monetise.country == "South Africa"
    assert monetise.member_since == "2010-02-11T13:30:05Z"


def test_api_answer_with_users_block() -> None:
    """The live API answer puts clients in ``result.users`` keyed by id, not inside each project."""
    projects = json.loads(api_json())[:2]
    users = {str(p["owner_id"]): p.pop("client") for p in projects}
    answer = {"status": "success", "result": {"projects": projects, "users": users}}
    page = FreelancerApiPage(json.dumps(answer), API_URL)
    assert [listing.seller for listing in page.listings] == ["monetise", "MuktaSadana"]
    del users[str(projects[0]["owner_id"])]
    page = FreelancerApiPage(json.dumps(answer), API_URL)
    assert page.listings[0].seller == "user:1411374"
    assert page.listings[0].seller_profile_url is None


def test_api_error_and_broken_json() -> None:
    with pytest.raises(PageError, match="not JSON"):
        FreelancerApiPage("{broken", API_URL)
    with pytest.raises(PageError, match="rate limited"):
        FreelancerApiPage('{"status": "error", "message": "rate limited"}', API_URL)


def test_dispatch_and_block_pages() -> None:
    assert isinstance(parse_freelancer(read_page("freelancer/jobs-listing_python_django_scrapy.html"), JOBS_URL),
                      FreelancerJobsPage)
    assert isinstance(parse_freelancer(api_json(), API_URL), FreelancerApiPage)
    challenge = "<html><title>Just a moment...</title><div id='cf-chl-widget'></div></html>"
    with pytest.raises(Blocked):
        parse_freelancer(challenge, JOBS_URL)
    with pytest.raises(Blocked):  # the home page is neither a jobs page nor a project page
        FreelancerJobsPage(read_page("freelancer/homepage.html"), "https://www.freelancer.com/")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("₹1500-12500 INR", (1500.0, 12500.0, "INR", False)),
        ("$8-15 AUD / hour", (8.0, 15.0, "AUD", True)),
        ("$13 / hr", (13.0, 13.0, "USD", True)),
        ("€250-750 EUR", (250.0, 750.0, "EUR", False)),
        ("$10,380", (10380.0, 10380.0, "USD", False)),
    ],
)
def test_parse_budget(text: str, expected: tuple[object, ...]) -> None:
    budget = parse_budget(text)
    assert budget is not None
    assert (budget.minimum, budget.maximum, budget.currency, budget.hourly) == expected


def test_parse_budget_without_number() -> None:
    assert parse_budget("Paid on delivery") is None


@pytest.mark.parametrize(
    ("query", "path"),
    [("python django scrapy", "python-django-scrapy"), ("web scraping, Python", "web-scraping_python"),
     ("C++", "cplusplus"), ("  ", "")],
)
def test_skill_path(query: str, path: str) -> None:
    assert skill_path(query) == path
