"""Bundled sample news site for ``newswatch demo`` and the test suite.

The demo runs without internet access, and the tests must not depend on real publishers, yet both need
something that behaves like a real news site: a few fictional outlets with RSS 2.0 or Atom feeds, article
pages wrapped in the usual boilerplate (navigation, cookie banner, related links, newsletter box, footer)
so the extractor has real work to do, and articles that arrive over the demo's cycles so that backfill,
alerts and the grouping of syndicated copies can be shown step by step.

Every outlet, person and event here is invented. Nothing is fetched: the server serves ``site_routes``.
"""

from __future__ import annotations

import html
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from xml.sax import saxutils


@dataclass(frozen=True)
class SampleOutlet:
    """A fictional publisher with one feed."""

    slug: str  # url path segment, e.g. "courier"
    name: str  # e.g. "Northern Courier"
    feed_format: str  # "rss" or "atom"


@dataclass(frozen=True)
class SampleArticle:
    """One fictional article; it is listed in its outlet's feed from ``cycle`` on."""

    outlet: str  # SampleOutlet.slug
    slug: str  # url path segment, unique within the outlet
    title: str
    author: str
    hours_ago: float  # published = start - hours_ago (hours before the demo started)
    cycle: int  # first cycle in which the article is listed in its feed
    paragraphs: tuple[str, ...]
    summary: str = ""  # the feed's own short description (one sentence)


OUTLETS: tuple[SampleOutlet, ...] = (
    SampleOutlet(slug="courier", name="Northern Courier", feed_format="rss"),
    SampleOutlet(slug="meridian", name="Daily Meridian", feed_format="atom"),
    SampleOutlet(slug="harbour", name="Harbour Times", feed_format="rss"),
    SampleOutlet(slug="wire", name="Continental Wire", feed_format="rss"),
)

DEMO_TOPICS: tuple[tuple[str, str], ...] = (
    ("NATO expansion", "NATO expansion"),
    ("Baltic energy", "Baltic energy"),
    ("Grain exports", "grain exports"),
)

# The wire story of cycle 2, republished word for word (plus a one-line intro) by the Harbour Times.
_DANUBE_TITLE = "Grain exports rebound as Danube shipping corridor reopens"
_DANUBE_SUMMARY = (
    "Grain exports along the lower Danube recovered after ice-breakers reopened the river's main "
    "shipping corridor."
)
_DANUBE_PARAGRAPHS: tuple[str, ...] = (
    "BUCHAREST (Continental Wire) — Grain exports along the lower Danube rebounded sharply after "
    "ice-breakers reopened the river's main shipping corridor, port officials said, easing a backlog of "
    "more than 140 barges. Traders said around 410,000 tonnes of wheat and maize had been waiting to move "
    "downstream to the Black Sea.",
    "The corridor was closed for nine days after temperatures fell to minus 18 degrees Celsius and thick "
    "ice formed near the town of Brăila. River authorities said two ice-breakers had cleared a "
    "60-kilometre stretch by 7 a.m. local time, and the first convoy of 12 barges was moving by midday.",
    "“We expect the backlog to clear within a week if the weather holds,” said Radu Ionescu, a spokesman "
    "for the port operator in Constanța. Mr. Ionescu said loading rates at the port's terminals were "
    "already back to about 80% of normal.",
    "Benchmark wheat futures in Paris fell 1.4% on the news, to €212.50 a tonne. Brokers said demand from "
    "North Africa remained strong, while freight rates for U.S. and Black Sea cargoes had moved closer "
    "together since the start of the year.",
    "The river carries roughly a quarter of the region's grain exports in a normal winter. Shipping "
    "companies said insurance premiums for Danube voyages remained about 15% higher than a year ago, and "
    "several charterers have asked for ice clauses in contracts running until the end of February.",
)

ARTICLES: tuple[SampleArticle, ...] = (
    # ---- cycle 0: old articles (older than the 24 h backfill window) ----
    SampleArticle(
        outlet="courier",
        slug="diplomats-timetable-nato-expansion",
        title="Diplomats sketch timetable for next round of NATO expansion",
        author="Helen Marsh",
        hours_ago=52.0,
        cycle=0,
        summary=(
            "Alliance envoys debated a draft timetable for NATO expansion at a closed meeting in Brussels."
        ),
        paragraphs=(
            "BRUSSELS — Alliance envoys spent more than six hours debating a draft timetable for the next "
            "round of NATO expansion, according to three diplomats who attended the closed meeting. The "
            "paper, circulated by the Dutch delegation on Jan. 5, proposes that accession talks with any "
            "new applicant be wrapped up within 18 months.",
            "Pieter de Vries, the Dutch ambassador, told colleagues that the alliance could not afford "
            "another open-ended process. “We owe applicants a clear road map, not a waiting room,” "
            "Mr. de Vries said, according to notes of the meeting seen by the Northern Courier.",
            "Several southern members pushed back, arguing that any fixed deadline would hand an effective "
            "veto to the slowest national parliament. A diplomat from one Mediterranean country said the "
            "U.S. delegation had not yet taken a position on the draft.",
            "NATO expansion has been a recurring item on the agenda since the alliance grew to 32 members. "
            "Officials expect defence ministers to return to the question when they meet on Feb. 12, with "
            "a final decision unlikely before the summer summit.",
        ),
    ),
    SampleArticle(
        outlet="harbour",
        slug="record-winter-grain-exports",
        title="Port authority reports record winter for grain exports",
        author="Owen Pritchard",
        hours_ago=70.0,
        cycle=0,
        summary=(
            "Grain exports through the harbour reached a record 2.3 million tonnes over the winter quarter."
        ),
        paragraphs=(
            "Grain exports through the harbour reached 2.3 million tonnes in the three months to the end "
            "of December, the highest winter total since the port authority began keeping records in "
            "1987. Wheat accounted for roughly two-thirds of the volume, with barley and rapeseed making "
            "up most of the rest.",
            "Ingrid Halvorsen, the authority's chief executive, credited a new conveyor system at the East "
            "Quay terminal, which cut average loading times from 41 hours to 29. “The investment has paid "
            "for itself in a single season,” Ms. Halvorsen told reporters at the harbour office.",
            "Shipping agents said most cargoes were bound for North Africa and the Middle East, where "
            "buyers have been building up stocks. A bulk carrier loading 60,000 tonnes of wheat for "
            "Alexandria was due to sail on Jan. 3.",
            "The authority expects volumes to ease in the spring as farmers hold back stock in "
            "anticipation of higher prices. Dock workers' unions have nonetheless asked for talks on extra "
            "night shifts, citing the strain of the record season.",
        ),
    ),
    SampleArticle(
        outlet="harbour",
        slug="quayside-stadium-approved",
        title="Council approves expansion of the stadium at Quayside Park",
        author="Megan Doyle",
        hours_ago=40.0,
        cycle=0,
        summary=(
            "Councillors voted 9-4 to approve a 6,100-seat expansion of the stadium used by Harbour United."
        ),
        paragraphs=(
            "City councillors voted 9-4 on Jan. 7 to approve the expansion of the stadium at Quayside Park, "
            "ending a planning dispute that has dragged on for almost three years. The scheme will add a "
            "two-tier north stand and raise capacity from 12,400 to 18,500 seats.",
            "Harbour United, the club that plays at the ground, will pay £14.2 million of the estimated "
            "£21 million cost, with the rest coming from a regional development fund. Alan Reeve, the "
            "club's chairman, said work could begin as soon as the football season ends in May.",
            "Residents of the neighbouring Anchor Street estate had objected to the plans, warning of "
            "traffic, noise and floodlight glare on match nights. The council attached 23 conditions to "
            "the permission, including a ban on concerts after 10:30 p.m. and a new residents' parking "
            "zone.",
            "Councillor Priya Shah, who chairs the planning committee, said the decision balanced the needs "
            "of the club and its neighbours. “Nobody got everything they wanted, which is usually a sign we "
            "got it about right,” she said.",
        ),
    ),
    SampleArticle(
        outlet="meridian",
        slug="city-museum-reopens",
        title="City museum reopens after two-year restoration",
        author="Clara Bensaid",
        hours_ago=33.0,
        cycle=0,
        summary="The Meridian City Museum reopened with restored galleries and a new glass roof.",
        paragraphs=(
            "The Meridian City Museum reopened to the public on Jan. 6 after a two-year, £12 million "
            "restoration that replaced the leaking Victorian roof and doubled the gallery space devoted to "
            "local history. More than 4,000 visitors passed through the doors on the first day, staff "
            "said.",
            "The centrepiece is a reconstructed 19th-century printing workshop, complete with a working "
            "press that volunteers will operate at weekends. Curator Dr. Amira Haddad said the museum "
            "wanted visitors to “smell the ink and hear the machines.”",
            "Entry remains free, although the museum has introduced a suggested donation of £5. Opening "
            "hours have been extended to 8 p.m. on Thursdays, and a new café on the ground floor will open "
            "in March.",
        ),
    ),
    # ---- cycle 0: recent articles ----
    SampleArticle(
        outlet="wire",
        slug="euro-awaits-inflation-data",
        title="Euro steadies as traders await January inflation figures",
        author="Sophie Laurent",
        hours_ago=6.0,
        cycle=0,
        summary=(
            "The euro held near $1.09 as investors waited for inflation data due at the end of the month."
        ),
        paragraphs=(
            "FRANKFURT (Continental Wire) — The euro held steady near $1.09 in early trading as investors "
            "waited for January inflation figures that could shape the European Central Bank's next move "
            "on interest rates. Economists polled by Continental Wire expect consumer prices to have risen "
            "2.3% from a year earlier.",
            "Bond yields edged lower, with Germany's 10-year yield slipping three basis points to 2.41%. "
            "“The market is in wait-and-see mode,” said Hanna Berger, a strategist at Rhein Capital in "
            "Frankfurt.",
            "The U.S. dollar was little changed against a basket of currencies after data showed American "
            "retailers had a stronger December than expected. Ms. Berger said a surprise in either "
            "direction could move the euro by a full cent within minutes of the release on Jan. 30.",
        ),
    ),
    SampleArticle(
        outlet="meridian",
        slug="philharmonic-sibelius-cycle",
        title="Meridian Philharmonic opens season with a rare Sibelius cycle",
        author="Clara Bensaid",
        hours_ago=5.0,
        cycle=0,
        summary="The orchestra will perform all seven Sibelius symphonies over three weekends this month.",
        paragraphs=(
            "The Meridian Philharmonic will perform all seven of Sibelius's symphonies over three weekends "
            "this month, the first complete cycle in the city since 1994. The opening concert, on Jan. 10, "
            "sold out within four hours of tickets going on sale.",
            "Music director Dr. Sofia Reinholt said the project had been five years in the planning. “These "
            "symphonies tell a single story, and you only hear it properly when you play them together,” "
            "she said after a rehearsal at the Civic Hall.",
            "The orchestra has added a series of free pre-concert talks and will stream the final concert "
            "online. Student tickets will be available for £8 at the box office from 6 p.m. on each concert "
            "night.",
        ),
    ),
    SampleArticle(
        outlet="wire",
        slug="defence-firms-shell-output",
        title="European defence firms pledge faster artillery shell output",
        author="Marek Zieliński",
        hours_ago=4.0,
        cycle=0,
        summary=(
            "Six European manufacturers promised to double artillery shell production by the end of 2027."
        ),
        paragraphs=(
            "WARSAW (Continental Wire) — Six European arms manufacturers pledged on Jan. 8 to double their "
            "combined output of 155 mm artillery shells by the end of 2027, after governments offered "
            "long-term purchase contracts worth an estimated €9 billion. The companies said new production "
            "lines in Poland, Germany and the Czech Republic would start operating within 18 months.",
            "Officials said the contracts, which run for seven years, were designed to give industry the "
            "certainty it needs to invest. “Factories are not built on promises, they are built on signed "
            "orders,” said Tomasz Wrona, a procurement official at the Polish defence ministry.",
            "The pledge follows months of pressure from NATO military planners, who have warned that "
            "stockpiles across Europe remain well below agreed targets. Analysts said shortages of "
            "explosives and skilled labour could still slow the ramp-up.",
            "Shares in the listed manufacturers rose between 2% and 5% in morning trading. Mr. Wrona said a "
            "second round of contracts, covering air-defence missiles, could be signed before the summer.",
        ),
    ),
    SampleArticle(
        outlet="courier",
        slug="bus-fare-freeze-vote-delayed",
        title="City council delays vote on bus fare freeze",
        author="Rachel Lund",
        hours_ago=3.5,
        cycle=0,
        summary="A vote on freezing bus fares for another year was postponed after a row over funding.",
        paragraphs=(
            "Northport city council postponed a vote on freezing bus fares for a further 12 months after "
            "opposition members questioned how the £3.8 million policy would be paid for. The motion will "
            "now return to the full council on Jan. 21.",
            "Council leader Gareth Pryce said the freeze had helped lift passenger numbers by 11% since it "
            "was introduced. “People have changed how they travel because of this, and I don't want to pull "
            "the rug out from under them,” Mr. Pryce said.",
            "Laura Bright, the opposition finance spokesperson, said the administration had not explained "
            "which services would be cut to fund the policy. Ms. Bright proposed a smaller freeze covering "
            "only children and pensioners.",
            "Bus operator Northline said it would keep fares at their current level until the council "
            "reached a decision. A single adult journey currently costs £1.90.",
        ),
    ),
    SampleArticle(
        outlet="meridian",
        slug="baltic-offshore-wind-auction",
        title="Baltic energy ministers back joint offshore wind auction",
        author="Daniel Okafor",
        hours_ago=2.5,
        cycle=0,
        summary=(
            "Ministers from Estonia, Latvia and Lithuania agreed to "
            "hold a joint offshore wind auction in 2027."
        ),
        paragraphs=(
            "RIGA — Baltic energy ministers agreed on Jan. 8 to run a joint auction for offshore wind "
            "projects in 2027, pooling seabed leases that together could host up to 3 gigawatts of "
            "turbines. The three governments said a single tender would attract larger developers and "
            "lower the price of the electricity produced.",
            "Jānis Ozols, who chairs the ministers' working group, said the plan would cut the region's "
            "reliance on imported power during the winter months. “Every megawatt we build at sea is a "
            "megawatt we do not have to buy in a crisis,” Mr. Ozols told a news conference in Riga.",
            "The auction would be open to bidders from across the European Union and the U.S., with "
            "winners offered 20-year contracts for difference. Officials estimated the first turbines "
            "could be turning by 2031 if permits are issued on schedule.",
            "Industry groups welcomed the deal but warned that grid connections remain the main "
            "bottleneck. Dr. Kristiina Mets of the Tallinn University of Technology said at least two new "
            "substations would be needed on the Estonian coast before any power could reach consumers.",
        ),
    ),
    SampleArticle(
        outlet="courier",
        slug="storm-elin-warnings",
        title="Storm Elin to bring gales and heavy snow to northern coast",
        author="Tom Haverford",
        hours_ago=1.5,
        cycle=0,
        summary=(
            "Forecasters issued amber warnings as Storm Elin approaches, with gusts of up to 80 mph expected."
        ),
        paragraphs=(
            "Forecasters have issued amber wind and snow warnings for much of the northern coast as Storm "
            "Elin approaches, with gusts of up to 80 mph expected on exposed headlands. Up to 25 cm of snow "
            "could fall on higher ground overnight, the national weather service said.",
            "Ferry operators cancelled all sailings to the outer islands from 4 p.m., and rail services "
            "between Carlow Bay and Mossfield will run a reduced timetable. Drivers were urged not to "
            "travel unless their journey was essential.",
            "Dr. Fiona Grant, a meteorologist at the weather service, said the storm was deepening rapidly "
            "over the Atlantic. “This is the most powerful system we have seen this winter, and it will be "
            "at its worst between midnight and 6 a.m.,” she said.",
            "The warnings are due to expire at noon on Jan. 9. Power companies said they had placed 300 "
            "additional engineers on standby to deal with fallen lines.",
        ),
    ),
    # ---- cycle 1 ----
    SampleArticle(
        outlet="courier",
        slug="nato-nordic-expansion-talks",
        title="NATO weighs expansion talks with Nordic partners",
        author="Helen Marsh",
        hours_ago=0.9,
        cycle=1,
        summary=(
            "Alliance officials are weighing whether to open "
            "expansion talks with Nordic partners this spring."
        ),
        paragraphs=(
            "BRUSSELS — NATO officials are weighing whether to open formal expansion talks with Nordic "
            "partners before the alliance's summer summit, two senior diplomats said. The discussions, "
            "which began informally on Jan. 9, focus on defence cooperation in the High North and on "
            "closer integration of air defences.",
            "Any expansion would require the unanimous approval of all 32 members, and several capitals "
            "have signalled that they want more time. “There is goodwill, but goodwill is not the same as a "
            "ratification vote,” one of the diplomats said.",
            "Ingrid Solberg, a spokesperson for the alliance, said no decision had been taken and that the "
            "process would follow the usual rules. A senior U.S. official said Washington supported the "
            "talks in principle but wanted a clearer assessment of the costs.",
            "The debate comes days after envoys discussed a broader timetable for NATO expansion at a "
            "closed meeting in Brussels. Ms. Solberg said defence ministers would take up the issue on "
            "Feb. 12.",
        ),
    ),
    SampleArticle(
        outlet="meridian",
        slug="winter-film-festival-programme",
        title="Winter film festival unveils its largest programme yet",
        author="Luca Ferraro",
        hours_ago=0.8,
        cycle=1,
        summary="The Meridian Winter Film Festival will screen 142 films from 38 countries.",
        paragraphs=(
            "The Meridian Winter Film Festival will screen 142 films from 38 countries when it opens on "
            "Feb. 4, its largest programme since the event was founded in 2009. Organisers said 31 of the "
            "films would be world premieres.",
            "The opening night will feature “The Salt Road,” a drama by the Portuguese director Inês "
            "Cardoso about three generations of a fishing family. Festival director Henrik Aas said the "
            "selection showed “a generation of filmmakers who are not afraid of silence.”",
            "Tickets go on sale on Jan. 15, with a festival pass priced at £95. Mr. Aas said a new "
            "late-night strand of horror films would run at the Regent Cinema from 11 p.m. on Fridays and "
            "Saturdays.",
        ),
    ),
    # ---- cycle 2: one wire story, published by Continental Wire and republished by the Harbour Times ----
    SampleArticle(
        outlet="wire",
        slug="danube-grain-corridor-reopens",
        title=_DANUBE_TITLE,
        author="Katarzyna Nowak",
        hours_ago=0.5,
        cycle=2,
        summary=_DANUBE_SUMMARY,
        paragraphs=_DANUBE_PARAGRAPHS,
    ),
    SampleArticle(
        outlet="courier",
        slug="mossfield-ski-jumper-podium",
        title="Mossfield ski jumper claims first World Cup podium",
        author="Sam Whitley",
        hours_ago=0.45,
        cycle=2,
        summary="Erik Lunde, 21, finished third in Zakopane for the first World Cup podium of his career.",
        paragraphs=(
            "Erik Lunde, the 21-year-old ski jumper from Mossfield, finished third at the World Cup event "
            "in Zakopane to claim the first podium of his career. Lunde produced jumps of 134.5 and 138 "
            "metres in swirling winds to finish 4.2 points behind the winner.",
            "His coach, Bjørn Aaker, said the result had been coming for months. “He has been jumping well "
            "in training since November, and today the wind finally gave him a fair chance,” Mr. Aaker "
            "said.",
            "Lunde moves up to 14th in the overall standings ahead of the next event in Willingen on "
            "Jan. 17. He is expected to be named in the team for the ski flying championships later in the "
            "season.",
        ),
    ),
    SampleArticle(
        outlet="harbour",
        slug="danube-grain-corridor-reopens",
        title=_DANUBE_TITLE,
        author="Katarzyna Nowak, Continental Wire",
        hours_ago=0.3,
        cycle=3,
        summary=_DANUBE_SUMMARY,
        paragraphs=("This article was first published by Continental Wire.", *_DANUBE_PARAGRAPHS),
    ),
    # ---- cycle 3 ----
    SampleArticle(
        outlet="meridian",
        slug="baltmar-cable-approved",
        title="Regulators clear Baltic energy cable linking Estonia and Finland",
        author="Daniel Okafor",
        hours_ago=0.2,
        cycle=3,
        summary=(
            "Regulators approved a 700-megawatt subsea cable that will strengthen Baltic energy links with "
            "Finland."
        ),
        paragraphs=(
            "TALLINN — Regulators in Estonia and Finland approved plans on Jan. 12 for a 700-megawatt "
            "subsea power cable across the Gulf of Finland, a project officials described as the biggest "
            "boost to Baltic energy security in a decade. The €1.1 billion link, known as Baltmar 3, is due "
            "to enter service in 2030.",
            "The cable will run for 170 kilometres between landing points near Paldiski and Inkoo, doubling "
            "the capacity available to trade electricity across the gulf. Grid operators said the route had "
            "been chosen to avoid busy shipping lanes and the anchorages where vessels have damaged cables "
            "in the past.",
            "Liisa Kaljurand, who heads planning at the Estonian grid operator, said the link would make "
            "the region less vulnerable to sabotage. “If one cable fails, we will no longer be left with a "
            "single line carrying the whole load,” Ms. Kaljurand said.",
            "The European Union has offered to cover up to 40% of the cost through its infrastructure fund. "
            "Construction tenders are expected by the end of March, although cable makers' order books are "
            "already full until 2028, according to Dr. Mikko Rantanen of the Finnish grid operator.",
        ),
    ),
    SampleArticle(
        outlet="harbour",
        slug="harbour-united-late-winner",
        title="Harbour United snatch late winner to go top of the league",
        author="Jamie Fletcher",
        hours_ago=0.15,
        cycle=3,
        summary=(
            "A stoppage-time header from Kofi Mensah gave Harbour United a 2-1 win over Redcliffe Athletic."
        ),
        paragraphs=(
            "Kofi Mensah headed in a stoppage-time winner as Harbour United came from behind to beat "
            "Redcliffe Athletic 2-1 at Quayside Park and move top of the league for the first time since "
            "2011. The crowd of 11,872 was the ground's biggest of the season.",
            "Redcliffe took the lead after 23 minutes when Danny Ward curled a free kick into the top "
            "corner. United equalised early in the second half through Luis Ortega, who converted a low "
            "cross from the left.",
            "Manager Steve Coyle praised his players' patience. “We kept our heads and kept asking "
            "questions, and in the end the big man found the answer,” Mr. Coyle said.",
            "United travel to Eastfield Rovers on Jan. 17. The club confirmed that work on the new north "
            "stand remains on schedule to begin in the summer.",
        ),
    ),
)

CYCLES: int = max(article.cycle for article in ARTICLES) + 1

# Sections shown as a kicker above the headline; anything not listed is plain "News".
_SECTIONS: dict[tuple[str, str], str] = {
    ("courier", "diplomats-timetable-nato-expansion"): "World",
    ("courier", "nato-nordic-expansion-talks"): "World",
    ("courier", "bus-fare-freeze-vote-delayed"): "Politics",
    ("courier", "storm-elin-warnings"): "Weather",
    ("courier", "mossfield-ski-jumper-podium"): "Sport",
    ("meridian", "city-museum-reopens"): "Culture",
    ("meridian", "philharmonic-sibelius-cycle"): "Culture",
    ("meridian", "winter-film-festival-programme"): "Culture",
    ("meridian", "baltic-offshore-wind-auction"): "Business",
    ("meridian", "baltmar-cable-approved"): "Business",
    ("harbour", "record-winter-grain-exports"): "Business",
    ("harbour", "quayside-stadium-approved"): "Local",
    ("harbour", "danube-grain-corridor-reopens"): "Business",
    ("harbour", "harbour-united-late-winner"): "Sport",
    ("wire", "euro-awaits-inflation-data"): "Markets",
    ("wire", "defence-firms-shell-output"): "World",
    ("wire", "danube-grain-corridor-reopens"): "Business",
}

# Section menu of every outlet; the words are chosen so that no boilerplate matches a demo topic.
_NAV_SECTIONS: tuple[str, ...] = ("World", "Politics", "Business", "Science", "Sport", "Culture", "Opinion")

_FOOTER_LINKS: tuple[str, ...] = (
    "About us",
    "Contact",
    "Advertise",
    "Privacy policy",
    "Cookie settings",
    "Terms of use",
)

_ARCHIVE_YEAR = 2026  # the fixed year segment of article URLs
_TAG_AUTHORITY = "newswatch.example,2026"  # Atom ids must not change with the server's port

_HTML_TYPE = "text/html; charset=utf-8"
_FEED_TYPES: dict[str, str] = {
    "rss": "application/rss+xml; charset=utf-8",
    "atom": "application/atom+xml; charset=utf-8",
}

_STYLE = (
    "body{font-family:Georgia,serif;margin:0;color:#222}"
    ".cookie-banner{background:#333;color:#fff;padding:8px 16px}"
    ".site-header,.site-footer,main{max-width:760px;margin:0 auto;padding:8px 16px}"
    ".main-nav ul,.site-footer ul{list-style:none;padding:0;display:flex;gap:12px;flex-wrap:wrap}"
    ".byline{color:#666;font-size:.9em}"
    ".related,.newsletter{border-top:1px solid #ccc;margin-top:24px;padding-top:8px}"
)


# ---------------------------------------------------------------------------------------------------------
# Paths and small helpers
# ---------------------------------------------------------------------------------------------------------


def feed_path(outlet: SampleOutlet) -> str:
    """Path of the outlet's feed, e.g. ``/courier/feed.xml`` (``/meridian/atom.xml`` for Atom)."""
    name = "atom.xml" if outlet.feed_format == "atom" else "feed.xml"
    return f"/{outlet.slug}/{name}"


def article_path(article: SampleArticle) -> str:
    """Path of the article page, e.g. ``/courier/2026/storm-elin-warnings.html``."""
    return f"/{article.outlet}/{_ARCHIVE_YEAR}/{article.slug}.html"


def _home_path(outlet: SampleOutlet) -> str:
    return f"/{outlet.slug}/"


def _outlet(slug: str) -> SampleOutlet:
    for outlet in OUTLETS:
        if outlet.slug == slug:
            return outlet
    raise KeyError(f"unknown sample outlet: {slug!r}")


def _e(text: str) -> str:
    """Escape text for HTML content and attribute values."""
    return html.escape(text, quote=True)


def _x(text: str) -> str:
    """Escape text for XML content."""
    return saxutils.escape(text)


def _xa(text: str) -> str:
    """Escape text for a double-quoted XML attribute value."""
    return saxutils.escape(text, {'"': "&quot;"})


def _utc(moment: datetime) -> datetime:
    if moment.tzinfo is None:
        return moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC)


def _published(article: SampleArticle, start: datetime) -> datetime:
    return (_utc(start) - timedelta(hours=article.hours_ago)).replace(microsecond=0)


def _iso(moment: datetime) -> str:
    return _utc(moment).strftime("%Y-%m-%dT%H:%M:%SZ")


def _rfc822(moment: datetime) -> str:
    return format_datetime(_utc(moment).replace(microsecond=0), usegmt=True)


def _display_time(moment: datetime) -> str:
    moment = _utc(moment)
    return f"{moment.day} {moment:%B %Y}, {moment:%H:%M} UTC"


def _summary(article: SampleArticle) -> str:
    if article.summary:
        return article.summary
    return article.paragraphs[0] if article.paragraphs else article.title


def _listed(outlet: SampleOutlet, cycle: int) -> list[SampleArticle]:
    """The outlet's articles published by ``cycle``, newest first."""
    articles = [a for a in ARTICLES if a.outlet == outlet.slug and a.cycle <= cycle]
    return sorted(articles, key=lambda a: (a.hours_ago, a.slug))


def _words(text: str) -> set[str]:
    return set("".join(c if c.isalnum() else " " for c in text.casefold()).split())


def _topics_matched(words: set[str]) -> frozenset[str]:
    return frozenset(name for name, query in DEMO_TOPICS if _words(query) <= words)


def _related(article: SampleArticle, limit: int = 3) -> list[SampleArticle]:
    """Up to ``limit`` other articles to link to, already published when ``article`` appears.

    Related headlines are boilerplate, so they are chosen such that their words, added to the article's
    own, never make the page match a demo topic that the article itself does not match.
    """
    words = _words(" ".join((article.title, article.summary, *article.paragraphs)))
    allowed = _topics_matched(words)
    candidates = sorted(
        (
            other
            for other in ARTICLES
            if other.cycle <= article.cycle and other.title != article.title and other is not article
        ),
        key=lambda other: (other.outlet != article.outlet, abs(other.hours_ago - article.hours_ago)),
    )
    chosen: list[SampleArticle] = []
    for other in candidates:
        extended = words | _words(other.title)
        if _topics_matched(extended) <= allowed:
            chosen.append(other)
            words = extended
            if len(chosen) == limit:
                break
    return chosen


# ---------------------------------------------------------------------------------------------------------
# HTML
# ---------------------------------------------------------------------------------------------------------


def _feed_link_tag(outlet: SampleOutlet, base_url: str) -> str:
    kind = "application/atom+xml" if outlet.feed_format == "atom" else "application/rss+xml"
    return (
        f'<link rel="alternate" type="{kind}" title="{_e(outlet.name)}" '
        f'href="{_e(base_url + feed_path(outlet))}">'
    )


def _cookie_banner() -> str:
    return (
        '<div class="cookie-banner" role="dialog" aria-label="Cookie consent">\n'
        "<p>We use cookies to improve your experience and to understand how our site is used. "
        '<button type="button" class="accept">Accept all</button> / '
        '<button type="button" class="manage">Manage preferences</button></p>\n'
        "</div>"
    )


def _site_header(outlet: SampleOutlet, base_url: str, start: datetime) -> str:
    home = base_url + _home_path(outlet)
    items = [f'<li><a href="{_e(home)}">Home</a></li>']
    items += [
        f'<li><a href="{_e(home)}#{section.lower()}">{_e(section)}</a></li>' for section in _NAV_SECTIONS
    ]
    today = _utc(start)
    return (
        '<header class="site-header">\n'
        f'<div class="masthead"><a class="logo" href="{_e(home)}">{_e(outlet.name)}</a>\n'
        f'<p class="edition">International edition · {today.day} {today:%B %Y}</p>\n'
        '<a class="subscribe" href="' + _e(home) + '#subscribe">Subscribe</a> '
        '<a class="login" href="' + _e(home) + '#login">Sign in</a></div>\n'
        '<nav class="main-nav" aria-label="Sections">\n<ul>\n' + "\n".join(items) + "\n</ul>\n</nav>\n"
        "</header>"
    )


def _site_footer(outlet: SampleOutlet, base_url: str, start: datetime) -> str:
    home = base_url + _home_path(outlet)
    links = "\n".join(
        f'<li><a href="{_e(home)}#{label.lower().replace(" ", "-")}">{_e(label)}</a></li>'
        for label in _FOOTER_LINKS
    )
    return (
        '<footer class="site-footer">\n'
        f"<ul>\n{links}\n</ul>\n"
        f"<p>© {_utc(start).year} {_e(outlet.name)}. All rights reserved. "
        "Registered office: 1 Printing House Square.</p>\n"
        "<p>This outlet is fictional and ships with Newswatch as sample content.</p>\n"
        "</footer>"
    )


def _newsletter_box(outlet: SampleOutlet) -> str:
    return (
        '<section class="newsletter" id="subscribe">\n'
        "<h2>The Morning Briefing</h2>\n"
        f"<p>Get the day's top stories from {_e(outlet.name)} in your inbox every weekday morning.</p>\n"
        '<form action="#" method="post">\n'
        '<label for="newsletter-email">Email address</label>\n'
        '<input type="email" id="newsletter-email" name="email" placeholder="you@example.com">\n'
        '<button type="submit">Sign up</button>\n'
        "</form>\n"
        '<p class="small">You can unsubscribe at any time. See our privacy policy for details.</p>\n'
        "</section>"
    )


def _share_buttons(url: str) -> str:
    return (
        f'<div class="share-tools" data-url="{_e(url)}">\n'
        '<button type="button" class="share-x">Share on X</button>\n'
        '<button type="button" class="share-email">Share by email</button>\n'
        '<button type="button" class="copy-link">Copy link</button>\n'
        "</div>"
    )


def render_article_page(article: SampleArticle, base_url: str, start: datetime) -> str:
    """The article's HTML page, with the boilerplate of a real news site around the story."""
    outlet = _outlet(article.outlet)
    url = base_url + article_path(article)
    published = _published(article, start)
    section = _SECTIONS.get((article.outlet, article.slug), "News")
    summary = _summary(article)
    body = "\n".join(f"<p>{_e(paragraph)}</p>" for paragraph in article.paragraphs)
    related = "\n".join(
        f'<li><a href="{_e(base_url + article_path(other))}">{_e(other.title)}</a></li>'
        for other in _related(article)
    )
    return f"""<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{_e(article.title)} | {_e(outlet.name)}</title>
<meta name="description" content="{_e(summary)}">
<meta name="author" content="{_e(article.author)}">
<link rel="canonical" href="{_e(url)}">
{_feed_link_tag(outlet, base_url)}
<meta property="og:type" content="article">
<meta property="og:site_name" content="{_e(outlet.name)}">
<meta property="og:title" content="{_e(article.title)}">
<meta property="og:description" content="{_e(summary)}">
<meta property="og:url" content="{_e(url)}">
<meta property="article:published_time" content="{_iso(published)}">
<meta property="article:section" content="{_e(section)}">
<style>{_STYLE}</style>
</head>
<body>
{_cookie_banner()}
{_site_header(outlet, base_url, start)}
<main id="content">
<article class="story">
<p class="kicker"><a href="{_e(base_url + _home_path(outlet))}#{section.lower()}">{_e(section)}</a></p>
<h1>{_e(article.title)}</h1>
<div class="byline">
<span class="author">By {_e(article.author)}</span>
<time datetime="{_iso(published)}">{_e(_display_time(published))}</time>
</div>
<div class="article-body">
{body}
</div>
</article>
{_share_buttons(url)}
<aside class="related">
<h2>Related articles</h2>
<ul>
{related}
</ul>
</aside>
{_newsletter_box(outlet)}
</main>
{_site_footer(outlet, base_url, start)}
</body>
</html>
"""


def render_home_page(outlet: SampleOutlet, base_url: str, start: datetime, cycle: int) -> str:
    """The outlet's front page at ``cycle``: feed autodiscovery link and the listed articles."""
    stories = []
    for article in _listed(outlet, cycle):
        published = _published(article, start)
        stories.append(
            '<li><article class="teaser">\n'
            f'<h2><a href="{_e(base_url + article_path(article))}">{_e(article.title)}</a></h2>\n'
            f"<p>{_e(_summary(article))}</p>\n"
            f'<p class="meta">By {_e(article.author)} · '
            f'<time datetime="{_iso(published)}">{_e(_display_time(published))}</time></p>\n'
            "</article></li>"
        )
    listing = "\n".join(stories) if stories else "<li>No stories yet.</li>"
    return f"""<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{_e(outlet.name)} — Latest news</title>
<link rel="canonical" href="{_e(base_url + _home_path(outlet))}">
{_feed_link_tag(outlet, base_url)}
<style>{_STYLE}</style>
</head>
<body>
{_cookie_banner()}
{_site_header(outlet, base_url, start)}
<main id="content">
<h1>Latest news</h1>
<ul class="story-list">
{listing}
</ul>
{_newsletter_box(outlet)}
</main>
{_site_footer(outlet, base_url, start)}
</body>
</html>
"""


def _render_index_page(base_url: str) -> str:
    rows = "\n".join(
        f'<li><a href="{_e(base_url + _home_path(outlet))}">{_e(outlet.name)}</a> '
        f'(<a href="{_e(base_url + feed_path(outlet))}">{"Atom" if outlet.feed_format == "atom" else "RSS"}'
        " feed</a>)</li>"
        for outlet in OUTLETS
    )
    return f"""<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>Newswatch sample news site</title>
</head>
<body>
<main>
<h1>Newswatch sample news site</h1>
<p>Fictional outlets served on loopback for <code>newswatch demo</code> and the tests.</p>
<ul>
{rows}
</ul>
</main>
</body>
</html>
"""


# ---------------------------------------------------------------------------------------------------------
# Feeds
# ---------------------------------------------------------------------------------------------------------


def _render_rss(outlet: SampleOutlet, base_url: str, start: datetime, articles: list[SampleArticle]) -> str:
    built = _published(articles[0], start) if articles else _utc(start)
    items = "".join(
        "<item>\n"
        f"<title>{_x(article.title)}</title>\n"
        f"<link>{_x(base_url + article_path(article))}</link>\n"
        f'<guid isPermaLink="false">{_x(f"{outlet.slug}-{article.slug}")}</guid>\n'
        f"<pubDate>{_rfc822(_published(article, start))}</pubDate>\n"
        f"<dc:creator>{_x(article.author)}</dc:creator>\n"
        f"<description>{_x(_summary(article))}</description>\n"
        "</item>\n"
        for article in articles
    )
    return (
        '<?xml version="1.0" encoding="utf-8"?>\n'
        '<rss version="2.0" xmlns:atom="http://www.w3.org/2005/Atom" '
        'xmlns:dc="http://purl.org/dc/elements/1.1/">\n'
        "<channel>\n"
        f"<title>{_x(outlet.name)}</title>\n"
        f"<link>{_x(base_url + _home_path(outlet))}</link>\n"
        f"<description>{_x(f'Latest news from {outlet.name}')}</description>\n"
        "<language>en-gb</language>\n"
        f"<lastBuildDate>{_rfc822(built)}</lastBuildDate>\n"
        f'<atom:link href="{_xa(base_url + feed_path(outlet))}" rel="self" type="application/rss+xml"/>\n'
        f"{items}"
        "</channel>\n"
        "</rss>\n"
    )


def _render_atom(outlet: SampleOutlet, base_url: str, start: datetime, articles: list[SampleArticle]) -> str:
    updated = _published(articles[0], start) if articles else _utc(start)
    entries = "".join(
        "<entry>\n"
        f"<id>tag:{_TAG_AUTHORITY}:{_x(f'{outlet.slug}-{article.slug}')}</id>\n"
        f'<title type="text">{_x(article.title)}</title>\n'
        f'<link rel="alternate" type="text/html" href="{_xa(base_url + article_path(article))}"/>\n'
        f"<published>{_iso(_published(article, start))}</published>\n"
        f"<updated>{_iso(_published(article, start))}</updated>\n"
        f"<author><name>{_x(article.author)}</name></author>\n"
        f'<summary type="text">{_x(_summary(article))}</summary>\n'
        "</entry>\n"
        for article in articles
    )
    return (
        '<?xml version="1.0" encoding="utf-8"?>\n'
        '<feed xmlns="http://www.w3.org/2005/Atom" xml:lang="en">\n'
        f"<id>tag:{_TAG_AUTHORITY}:{_x(outlet.slug)}</id>\n"
        f"<title>{_x(outlet.name)}</title>\n"
        f"<subtitle>{_x(f'Latest news from {outlet.name}')}</subtitle>\n"
        f'<link rel="alternate" type="text/html" href="{_xa(base_url + _home_path(outlet))}"/>\n'
        f'<link rel="self" type="application/atom+xml" href="{_xa(base_url + feed_path(outlet))}"/>\n'
        f"<updated>{_iso(updated)}</updated>\n"
        f"{entries}"
        "</feed>\n"
    )


def render_feed(outlet: SampleOutlet, base_url: str, start: datetime, cycle: int) -> str:
    """The outlet's RSS 2.0 or Atom 1.0 feed at ``cycle``, newest article first."""
    articles = _listed(outlet, cycle)
    if outlet.feed_format == "atom":
        return _render_atom(outlet, base_url, start, articles)
    return _render_rss(outlet, base_url, start, articles)


def site_routes(base_url: str, start: datetime, cycle: int) -> dict[str, tuple[str, bytes]]:
    """Every path the site serves at this cycle -> (content type with charset, UTF-8 body)."""
    routes: dict[str, tuple[str, bytes]] = {"/": (_HTML_TYPE, _render_index_page(base_url).encode("utf-8"))}
    for outlet in OUTLETS:
        home = render_home_page(outlet, base_url, start, cycle)
        routes[_home_path(outlet)] = (_HTML_TYPE, home.encode("utf-8"))
        feed = render_feed(outlet, base_url, start, cycle)
        routes[feed_path(outlet)] = (_FEED_TYPES[outlet.feed_format], feed.encode("utf-8"))
        for article in _listed(outlet, cycle):
            page = render_article_page(article, base_url, start)
            routes[article_path(article)] = (_HTML_TYPE, page.encode("utf-8"))
    return routes
