"""Reads the file-scope function declarations of a C header, without a compiler.

Shared by check-exports.py and check-layers.py. It understands what our
headers contain: comments, preprocessor lines, extern "C" blocks, struct and
enum bodies, typedefs, __attribute__((...)) and static inline definitions. It
is not a C parser; a construct it does not know is read as no declaration.
"""
import re

# Words that can stand before "(" without naming a function.
_NOT_NAMES = {
    "void", "char", "short", "int", "long", "float", "double", "signed", "unsigned",
    "const", "volatile", "restrict", "static", "extern", "inline", "struct", "union",
    "enum", "sizeof", "_Alignof", "_Alignas", "_Static_assert", "static_assert",
    "typeof", "__typeof__", "__attribute__", "__extension__", "__declspec",
}


def blank(text, directives=False):
    """text with comments, string and character literals and preprocessor
    lines replaced by spaces; newlines are kept, so offsets keep their line.
    With directives, preprocessor lines are kept (their comments blanked)."""
    out = []
    i, n = 0, len(text)
    at_line_start = True
    while i < n:
        c = text[i]
        if at_line_start and c in " \t":
            out.append(c)
            i += 1
            continue
        if at_line_start and c == "#":
            # A directive, with its backslash continuations (and comments in it).
            while i < n and text[i] != "\n":
                if text[i] == "\\" and i + 1 < n and text[i + 1] == "\n":
                    out.append(" \n")
                    i += 2
                    continue
                if text.startswith("/*", i):
                    j = text.find("*/", i + 2)
                    j = n if j < 0 else j + 2
                    out.append(re.sub(r"[^\n]", " ", text[i:j]))
                    i = j
                    continue
                out.append(text[i] if directives else " ")
                i += 1
            continue
        at_line_start = False
        if text.startswith("/*", i):
            j = text.find("*/", i + 2)
            j = n if j < 0 else j + 2
            out.append(re.sub(r"[^\n]", " ", text[i:j]))
            i = j
        elif text.startswith("//", i):
            j = text.find("\n", i)
            j = n if j < 0 else j
            out.append(" " * (j - i))
            i = j
        elif c in "\"'":
            j = i + 1
            while j < n and text[j] != c and text[j] != "\n":
                j += 2 if text[j] == "\\" else 1
            j = min(j + 1, n)
            out.append(c + " " * (j - i - 2) + c if j - i >= 2 else " ")
            i = j
        else:
            if c == "\n":
                at_line_start = True
            out.append(c)
            i += 1
    return "".join(out)


def _drop_attributes(s):
    """s with each __attribute__((...)) replaced by spaces (same length)."""
    while True:
        m = re.search(r"\b__attribute__\s*\(", s)
        if not m:
            return s
        depth, j = 0, m.end() - 1
        while j < len(s):
            if s[j] == "(":
                depth += 1
            elif s[j] == ")":
                depth -= 1
                if depth == 0:
                    break
            j += 1
        s = s[:m.start()] + " " * (j + 1 - m.start()) + s[j + 1:]


def _declared_function(stmt):
    """(name, offset of the name in stmt) when stmt declares a function, else None."""
    s = _drop_attributes(stmt)
    if re.match(r"\s*typedef\b", s):
        return None
    for m in re.finditer(r"\b([A-Za-z_]\w*)\s*\(", s):
        if m.group(1) in _NOT_NAMES:
            # "void (*p)(void)" is a pointer variable, but "void (*f(int))(void)"
            # is a function returning one; "int f(void)" goes on to "f".
            if re.match(r"\s*\*", s[m.end():]):
                f = re.match(r"\s*\*\s*([A-Za-z_]\w*)\s*\(", s[m.end():])
                return (f.group(1), m.end() + f.start(1)) if f else None
            continue
        return m.group(1), m.start(1)
    return None


def functions(text):
    """The functions declared (or defined) at file scope in C source text.

    Returns a list of (name, line, prefix) where prefix is the text of the
    declaration before the name (e.g. "DPA_API int "), comments removed.
    """
    s = blank(text)
    found = []
    depth = 0
    pieces = []             # (offset, text) of its file-scope parts
    i = 0

    def emit():
        joined = "".join(p for _, p in pieces)
        hit = _declared_function(joined)
        if hit:
            name, at = hit
            # Map the offset inside the joined text back to the file.
            for off, p in pieces:
                if at < len(p):
                    pos = off + at
                    break
                at -= len(p)
            line = s.count("\n", 0, pos) + 1
            prefix = re.sub(r"\s+", " ", joined[:hit[1]]).strip()
            found.append((name, line, prefix))

    seg = 0
    while i < len(s):
        c = s[i]
        if depth == 0 and c == "{":
            pieces.append((seg, s[seg:i]))
            head = "".join(p for _, p in pieces)
            if re.fullmatch(r"\s*extern\s*\"\s*\"\s*", head):
                pieces, seg = [], i + 1      # extern "C" { ... }: transparent
                i += 1
                continue
            if re.search(r"\)\s*$", _drop_attributes(head)) and _declared_function(head):
                emit()                       # a definition: its body ends it
                pieces = []
                depth, i = 1, i + 1
                while i < len(s) and depth:
                    depth += {"{": 1, "}": -1}.get(s[i], 0)
                    i += 1
                seg = i
                continue
            depth = 1                         # a struct, enum or initializer body
            i += 1
            continue
        if depth > 0:
            if c == "{":
                depth += 1
            elif c == "}":
                depth -= 1
                if depth == 0:
                    seg = i + 1
            i += 1
            continue
        if c == "}":                          # the end of an extern "C" block
            pieces.append((seg, s[seg:i]))
            seg = i + 1
        elif c == ";":
            pieces.append((seg, s[seg:i]))
            emit()
            pieces, seg = [], i + 1
        i += 1
    return found
