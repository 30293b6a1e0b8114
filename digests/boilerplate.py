"""Boilerplate lines of scraped pages and crossheads: which paragraphs are not article prose.

Extraction libraries (trafilatura, readability) work on HTML and still leave share prompts,
"Related Articles" tails, cookie banners, photo credits and bylines in their plain-text output;
plain-text archives have them too. No library classifies such lines in plain text, so this
module is a few compiled regular expressions, each tried on one short paragraph at a time
(bounded repetitions only, so every test is linear in the paragraph's length).
"""

from __future__ import annotations

import re

# A paragraph longer than this is prose, never a boilerplate line: skip the patterns.
_MAX_BOILERPLATE_CHARS = 300

_SOCIAL = (
    r"(?:share|tweet|e-?mail|print|pin|whatsapp|facebook|twitter|x|linkedin|reddit|telegram"
    r"|copy\ link|comments?|save)"
)

_BOILERPLATE = re.compile(
    rf"""(?ix)
      {_SOCIAL}(?:\s*[|/·•,]?\s*{_SOCIAL}){{0,12}}
    | share\ (?:this|on|via|the|article|story|page)\b.{{0,80}}
    | (?:read|see|watch|listen\ to)\ (?:more|next|also|the\ full\ (?:story|article))\b.{{0,150}}
    | continue\ reading.{{0,80}}
    | advertisement|advert|ad|sponsored(?:\ content)?|story\ continues\ below.{{0,30}}
    | skip\ (?:to\ )?(?:main\ )?(?:content|navigation|advert(?:isement)?)
    | back\ to\ top(?:\ button)?
    | scroll\ down\ for\ (?:the\ )?(?:video|videos|more).{{0,20}}
    | abstract\.?|full\ text\.?
    | [.#@]?[\w\ .,\#:()>*=\[\]"'-]{{0,200}}\{{|\}}|[\w-]{{1,40}}\s*:\s*[^;{{}}]{{1,100}};
    | (?:sign\ up|subscribe|register|join)\b.{{0,100}}
      (?:newsletter|updates|inbox|e-?mail|free|briefing|alerts|digest)\b.{{0,100}}
    | (?:get|receive)\ (?:our|the)\ .{{0,40}}newsletter.{{0,100}}
    | (?:accept|reject|allow|manage)(?:\ all)?\ cookies.{{0,40}}
    | cookie\ (?:policy|settings|preferences)
    | (?:photo(?:graph)?|image|picture|video|graphic|illustration)s?(?:\ credit)?
      \s*(?::|by\b|/|©).{{0,150}}
    | (?:image|video)\ (?:caption|source|copyright)\b.{{0,150}}
    | \(?(?:(?:photo|image|picture)\ by\b|(?:credit|source)s?\s*:).{{0,120}}
    | (?:getty\ images|reuters|afp|associated\ press|epa|shutterstock)
    | ©.{{0,150}}|copyright\s*(?:©|\(c\)|\d{{4}}).{{0,150}}|all\ rights\ reserved\.?
    | (?:click|tap)\ here\b.{{0,120}}
    | follow\ (?:us\ )?on\ .{{0,80}}
    | \d{{1,3}}\ min(?:ute)?s?\ read
    | (?:view|show|hide|load)\ (?:comments?|more|all)\b.{{0,30}}
    | join\ the\ (?:conversation|discussion).{{0,40}}
    | this\ (?:article|story)\ (?:was\ )?(?:originally\ )?(?:first\ )?(?:published|appeared)
      \b.{{0,150}}
    | (?:related|more\ on\ this\ story|more\ from\ .{{0,40}}|more\ stories|you\ (?:may|might)
      \ also\ (?:like|enjoy|be\ interested\ in)|recommended(?:\ for\ you)?
      |most\ (?:read|popular|viewed)
      |trending(?:\ now)?|top\ stories|in\ other\ news)
      (?:\ (?:articles?|stories|posts|content|news|coverage|reading|topics|links))?:?
    """
)

# Two patterns that must scan the whole line, tried only when a cheap substring test passes.
_COOKIE_NOTICE = re.compile(r"(?i).{0,100}\b(?:we|this (?:web)?site) uses? cookies\b.{0,200}")
_CREDIT_SUFFIX = re.compile(
    r"(?i).{0,150}/\s*(?:getty(?: images)?|afp|reuters|ap(?: photo)?|epa|shutterstock|alamy"
    r"|pa(?: wire)?)\)?"
)

# Boilerplate that pages print as a sentence inside the text ("Scroll down for video.").
_MAX_BOILERPLATE_SENTENCE_CHARS = 100
_BOILERPLATE_SENTENCE = re.compile(
    r"""(?ix)
    [\s"“”'‘’]*
    (?:scroll\ down\ for\ (?:the\ )?(?:video|videos|more)(?:\ and\ photos)?
      |(?:click|tap)\ here\b.{0,80}|read\ more\b.{0,80}|advertisement
      |(?:watch|see)\ the\ video\b.{0,40})
    [\s.:!"”']*
    """
)

# After one of these, the lines that follow are lists of other articles' headlines.
_TAIL_MARKER = re.compile(
    r"""(?ix)
    (?:related|more\ on\ this\ story|more\ from\ .{0,40}|more\ stories|you\ (?:may|might)
      \ also\ (?:like|enjoy|be\ interested\ in)|recommended(?:\ for\ you)?
      |most\ (?:read|popular|viewed)
      |trending(?:\ now)?|top\ stories|in\ other\ news|read\ (?:more|next|also))
    (?:\ (?:articles?|stories|posts|content|news|coverage|reading|topics|links))?:?
    """
)

# Bylines and dates are case-sensitive: "By John Smith" is a byline, "By Monday, ..." is prose.
_NAME = r"[A-Z][\w'’.-]*"
_BYLINE = re.compile(
    r"(?:By|BY|Written\ by|Reporting\ by|Words\ by)"
    rf"\ {_NAME}(?:\ (?:{_NAME}|de|van|von|da|al|bin)){{0,4}}"
    rf"(?:(?:,|\ and|\ &)\ {_NAME}(?:\ {_NAME}){{0,4}}){{0,3}}"
    r"(?:\ (?:staff|reporters?|correspondents?|writers?|editors?|desk|team))?"
    r"(?:\s*[,|/–—-]\s*[^.!?]{0,60})?",
    re.X,
)
_MONTH = (
    r"(?:jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?"
    r"|sep(?:t(?:ember)?)?|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?)"
)
_WEEKDAY = r"(?:mon|tue(?:s)?|wed(?:nes)?|thu(?:rs)?|fri|sat(?:ur)?|sun)(?:day)?"
_DATE_TOKEN = (
    rf"(?:\d{{1,4}}(?:st|nd|rd|th)?|{_MONTH}\.?|{_WEEKDAY}|[ap]\.?m\.?|gmt|bst|utc|[ecmp][sd]?t"
    rf"|ago|hours?|hrs?|minutes?|mins?|days?|weeks?|an?|one|\d{{1,2}}[:.]\d{{2}}(?::\d{{2}})?"
    r"|\d{4}-\d{2}-\d{2}t[\d:.z+-]{0,20})"
)
_DATE_PART = (
    r"(?:(?:published|updated|posted|last\ (?:updated|modified)|first\ published)"
    r"(?:\ on|\ at)?\s*:?\s*)?"
    rf"{_DATE_TOKEN}(?:[\s,/.-]{{1,3}}{_DATE_TOKEN}){{0,10}}"
)
# "Published: 14:33 GMT, 12 October 2013 | Updated: 14:35 GMT, 12 October 2013"
_DATE_LINE = re.compile(rf"(?ix){_DATE_PART}(?:\s*[|·•]\s*{_DATE_PART}){{0,3}}\.?")

# A paragraph that ends like a sentence: final punctuation, possibly inside quotes or brackets.
_SENTENCE_END = re.compile(r"[.!?…:;,][\"”’'»)\]]*\Z|[\"”’'»]\Z")
_MAX_CROSSHEAD_WORDS = 12
_MAX_CROSSHEAD_CHARS = 100
_QUESTION_CROSSHEAD_WORDS = 8


def is_boilerplate(paragraph: str) -> bool:
    """Whether a paragraph is page furniture (share prompt, credit, byline, cookie notice...)."""
    if len(paragraph) > _MAX_BOILERPLATE_CHARS:
        return False
    if _BOILERPLATE.fullmatch(paragraph) or _BYLINE.fullmatch(paragraph):
        return True
    if "ookie" in paragraph and _COOKIE_NOTICE.fullmatch(paragraph):
        return True
    if "/" in paragraph and _CREDIT_SUFFIX.fullmatch(paragraph):
        return True
    return bool(_DATE_LINE.fullmatch(paragraph))


def is_boilerplate_sentence(sentence: str) -> bool:
    """Whether a sentence is page furniture printed inline ("Scroll down for video.")."""
    return len(sentence) <= _MAX_BOILERPLATE_SENTENCE_CHARS and bool(
        _BOILERPLATE_SENTENCE.fullmatch(sentence)
    )


def is_tail_marker(paragraph: str) -> bool:
    """Whether a paragraph opens a list of links to other articles ("Related Articles")."""
    return len(paragraph) <= _MAX_BOILERPLATE_CHARS and bool(_TAIL_MARKER.fullmatch(paragraph))


def ends_like_sentence(paragraph: str) -> bool:
    """Whether a paragraph ends with sentence punctuation (or a closing quote)."""
    return bool(_SENTENCE_END.search(paragraph))


def is_crosshead(paragraph: str) -> bool:
    """Whether a paragraph is a subheading inside the body: short, no final punctuation.

    Short questions standing alone ("What happens next?") are crossheads too.
    """
    if not paragraph or len(paragraph) > _MAX_CROSSHEAD_CHARS or paragraph[0] in "\"“‘'«":
        return False
    words = paragraph.count(" ") + 1
    if paragraph.endswith("?"):
        return 2 <= words <= _QUESTION_CROSSHEAD_WORDS
    return words <= _MAX_CROSSHEAD_WORDS and not ends_like_sentence(paragraph)
