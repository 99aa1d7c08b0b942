"""scripts/docsession.py - reading the sessions that docs/ pages show, and matching them.

A Python module, imported by scripts/docs-test (the guest shell sessions of docs/ and README)
and scripts/gdb/walkthrough-test (the gdb sessions), and by scripts/shell/run for Tap: not run
by itself.

  blocks(path)      the page's fenced blocks: (line number of the fence, info string, the
                    HTML comment marker just above it or None, the block's lines)
  marker(text)      a marker's `key="value"` / `key=value` / `key` words as a dict
  Bindings          the page's variables: every number a page shows is the name of a value
                    the real run had, bound at its first sighting; equal names must stay equal
                    values and different names different values (a bijection), so `0x184`
                    shown twice is the same frame both times.  Numbers listed as literal (an
                    address the program fixes, 0x7000000000) must be exactly that.
  match_lines(expected, actual, bindings)
                    do the real lines show what the page shows?  `...` alone on a line stands
                    for any number of lines; blanks match blanks of any width.  Returns None
                    (and keeps the new bindings) or a text saying which line differs.
  Tap               TAP lines: ok(good, what, why) prints `ok N - what` or `not ok N - what:
                    why` (further lines of why as `# ` comments); end() the `# passed P
                    failed F` line
  regenerate(expected, actual, bindings)
                    the page's lines as a real run shows them (for a page whose code changed
                    on purpose): shown lines replaced by the real ones, `...` kept.
"""
import re

# A number: a decimal fraction (a time), 0x hex, a word of hex digits holding a digit (frame
# numbers, addresses, counts, pids), or decimal digits before a unit (`536kB`, `64MiB`).
# Words such as `v16` or `fork_0MiB` are text.
NUMBER = re.compile(r"\b\d+\.\d+\b|\b0x[0-9a-fA-F]+\b|\b[0-9a-fA-F]*[0-9][0-9a-fA-F]*\b|"
                    r"\b\d+(?=[A-Za-z])")
MARKER = re.compile(r"^<!--\s*(.*?)\s*-->$")
WORD = re.compile(r'(\w+)(?:=(?:"([^"]*)"|(\S+)))?')


class Tap:
    def __init__(self):
        self.n = self.failed = 0

    def ok(self, good, what, why=""):
        self.n += 1
        self.failed += not good
        print("%s %d - %s%s" % ("ok" if good else "not ok", self.n, what,
                                "" if good else ": " + str(why).replace("\n", "\n# ")),
              flush=True)

    def end(self):
        print("# passed %d failed %d" % (self.n - self.failed, self.failed), flush=True)


def blocks(path):
    """Yield (fence line number, info string, marker or None, lines) for each fenced block."""
    lines = open(path, encoding="utf-8").read().split("\n")
    i = 0
    while i < len(lines):
        if lines[i].startswith("```"):
            start, info = i + 1, lines[i][3:].strip()
            above = lines[i - 1].strip() if i > 0 else ""
            m = MARKER.match(above)
            end = i + 1
            while end < len(lines) and not lines[end].startswith("```"):
                end += 1
            yield start, info, (m.group(1) if m else None), lines[i + 1:end]
            i = end + 1
        else:
            i += 1


def marker(text):
    """`session: boot cmdline="a b" literal="0x7000000000"` -> {'session': True, ...}."""
    out = {}
    for m in WORD.finditer(text.replace("session:", "session ", 1)):
        out[m.group(1)] = m.group(2) if m.group(2) is not None else (m.group(3) or True)
    return out


def split(line):
    """A line without its blanks' widths, as (texts between numbers, numbers)."""
    line = " ".join(line.split())
    return NUMBER.split(line), NUMBER.findall(line)


class Bindings:
    """literals: numbers that must be exactly what the page shows; vary: regular expressions
    (a marker's vary="..."): what they match, in the page's line and in the real one, may
    differ and binds nothing (what depends on timing, with the reason in the page's text)."""

    def __init__(self, literals=(), vary=()):
        self.literals = set(literals)
        self.vary = [re.compile(v) for v in vary]
        self.real = {}  # page's number -> the real run's
        self.page = {}  # the real run's number -> page's

    def copy(self):
        b = Bindings(self.literals)
        b.vary = self.vary
        b.real, b.page = dict(self.real), dict(self.page)
        return b

    def bind(self, shown, got):
        """Can the page's number `shown` be the real `got`?  Binds it if so."""
        if shown in self.literals:
            return shown == got
        if shown in self.real or got in self.page:
            return self.real.get(shown) == got and self.page.get(got) == shown
        self.real[shown], self.page[got] = got, shown
        return True

    def free(self, line):
        """The line with its vary matches made `#`."""
        for v in self.vary:
            line = v.sub("#", line)
        return line

    def line(self, shown, got):
        """Does the real line match the page's line?  (Binds as it goes: use on a copy.)"""
        (t1, n1), (t2, n2) = split(self.free(shown)), split(self.free(got))
        return t1 == t2 and len(n1) == len(n2) and all(map(self.bind, n1, n2))


def chunks_of(expected):
    """The page's lines cut at its `...` lines."""
    chunks, chunk = [], []
    for line in expected:
        if line.strip() == "...":
            chunks.append(chunk)
            chunk = []
        else:
            chunk.append(line)
    return chunks + [chunk]


def align(chunks, got, fits):
    """Where each chunk sits in got: the first chunk at the start, the last at the end, the
    others in order in between, each where fits(chunk, lines) is first true.  -> the list of
    start positions, or (index of the chunk that does not fit, position searched from)."""
    starts, pos = [], 0
    for i, chunk in enumerate(chunks):
        first, last = i == 0, i == len(chunks) - 1
        found = None
        for start in range(pos, len(got) - len(chunk) + 1):
            if (not last or start + len(chunk) == len(got)) and \
                    fits(chunk, got[start:start + len(chunk)]):
                found = start
                break
            if first:
                break
        if found is None:
            return i, pos
        starts.append(found)
        pos = found + len(chunk)
    return starts


def trimmed(actual):
    got = list(actual)
    while got and not got[-1].strip():
        got.pop()
    return got


def match_lines(expected, actual, bindings):
    """None when the actual lines show the expected ones (`...`: any lines), binding the
    numbers into bindings; else a text naming the first expected line that was not found."""
    chunks, got = chunks_of(expected), trimmed(actual)
    state = [bindings.copy()]

    def fits(chunk, lines):
        b = state[0].copy()
        if all(b.line(s, g) for s, g in zip(chunk, lines)):
            state[0] = b
            return True
        return False

    where = align(chunks, got, fits)
    if isinstance(where, tuple):
        i, pos = where
        if 0 < i == len(chunks) - 1 and len(got) - len(chunks[i]) >= pos:
            pos = len(got) - len(chunks[i])  # the last chunk ends the output
        return why(chunks[i], got[pos:], state[0], i == 0)
    bindings.real, bindings.page = state[0].real, state[0].page
    return None


def regenerate(expected, actual, bindings):
    """The page's lines for a real run: each shown line replaced by the real line it stands
    for (same words and bindings' literals, other numbers), the `...` kept; when the words
    changed too, the whole real output."""
    chunks, got = chunks_of(expected), trimmed(actual)

    def same_words(shown, line):
        (t1, n1), (t2, n2) = split(bindings.free(shown)), split(bindings.free(line))
        return t1 == t2 and len(n1) == len(n2) and \
            all(a == b for a, b in zip(n1, n2) if a in bindings.literals)

    where = align(chunks, got, lambda chunk, lines: all(map(same_words, chunk, lines)))
    if isinstance(where, tuple):
        return got
    out = []
    for i, (chunk, start) in enumerate(zip(chunks, where)):
        out += (["..."] if i else []) + got[start:start + len(chunk)]
    return out


def why(chunk, got, bindings, anchored):
    """The first line of chunk that differs, and what came instead."""
    if not chunk:
        return "more output than the page shows: %r" % (got[0] if got else "")
    for k, shown in enumerate(chunk):
        line = got[k] if k < len(got) else None
        if line is None:
            return "page line %r: the output ended" % shown
        b = bindings.copy()
        if not b.line(shown, line):
            return "page line %r, got %r%s" % (shown, line, explain(shown, line, bindings))
        bindings = b
    return "page line %r: not found where the page shows it" % chunk[0] + \
        ("" if anchored else " (nor later)")


def explain(shown, got, bindings):
    """Why two lines of the same words differ: which number broke which binding."""
    (t1, n1), (t2, n2) = split(bindings.free(shown)), split(bindings.free(got))
    if t1 != t2 or len(n1) != len(n2):
        return ""
    for s, g in zip(n1, n2):
        if s in bindings.literals and s != g:
            return " (%s is literal)" % s
        if s in bindings.real and bindings.real[s] != g:
            return " (the page's %s stood for %s above, here for %s)" % (s, bindings.real[s], g)
        if g in bindings.page and bindings.page[g] != s:
            return " (the real %s was the page's %s above, here the page shows %s)" % (
                g, bindings.page[g], s)
    return ""
