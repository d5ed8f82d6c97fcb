#!/usr/bin/env python3
"""Finds assertions in the shell tests that cannot fail as they read.

A `check DESC COND` asserts only COND, so `check DESC A && B` never checks B
and `expect_ok ... || skip` turns a failure into a skip. This reports, as
FILE:LINE: message,
  (a) every `check`/`expect_*` command that is part of an && / || list or of
      a pipeline (also inside a { } group, if or loop that is), and
  (b) every `check`/`expect_*` whose condition is constant: no condition,
      `true`, `:`, `false`, `! anything` (a command named `!`), `test`/`[`/`[[` with neither a
      variable, a command substitution nor a file test, `out_has ""`,
      `expect_ok DESC` without udocker arguments,
  (c) every `finish` that is not the script's last command and is not
      followed by `exit` (the script would go on past its summary).
Text inside quotes, `$(...)`, here-documents and `[[ ]]` is not shell
structure, so `bash -c 'a && b'` is fine.
Usage: tests/lint-checks.py [FILE...]   (default: tests/functional/*.sh
tests/stress/*.sh).  Exit status 1 when anything was found.
"""

import glob
import os
import re
import sys

ASSERT_RE = re.compile(r"^(check|expect_[A-Za-z0-9_]+)$")
FILE_TESTS = {"-a", "-b", "-c", "-d", "-e", "-f", "-g", "-h", "-k", "-p", "-r", "-s", "-t",
              "-u", "-w", "-x", "-G", "-L", "-N", "-O", "-S", "-nt", "-ot", "-ef", "-v"}
EOF = "\0"  # what peek() returns past the end: never in a set of characters
ARRAY_ASSIGN_RE = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*(\[[^]]*\])?\+?=$")
RESERVED_END = {"then", "elif", "else", "fi", "do", "done", "esac", "}"}


class LintError(Exception):
    pass


class Tok:
    def __init__(self, kind, text, line):
        self.kind = kind  # "w" word, "op" operator, "nl" newline
        self.text = text
        self.line = line

    def __repr__(self):
        return "%s:%r@%d" % (self.kind, self.text, self.line)


class Lexer:
    def __init__(self, src):
        self.s = src
        self.i = 0
        self.line = 1
        self.heredocs = []  # (delimiter, strip_tabs) waiting for the next newline
        self.toks = []

    def peek(self, k=0):
        j = self.i + k
        return self.s[j] if j < len(self.s) else EOF

    def adv(self, n=1):
        for _ in range(n):
            if self.i < len(self.s) and self.s[self.i] == "\n":
                self.line += 1
            self.i += 1

    def fail(self, msg):
        raise LintError("line %d: %s" % (self.line, msg))

    # Skips a quoted or substituted span starting at self.i; returns nothing.
    def skip_single(self):
        self.adv()
        while self.peek() != "'":
            if self.peek() == EOF:
                self.fail("unterminated single quote")
            self.adv()
        self.adv()

    def skip_ansi(self):  # $'...'
        self.adv(2)
        while self.peek() != "'":
            if self.peek() == EOF:
                self.fail("unterminated $' quote")
            if self.peek() == "\\":
                self.adv()
            self.adv()
        self.adv()

    def skip_double(self):
        self.adv()
        while True:
            c = self.peek()
            if c == EOF:
                self.fail("unterminated double quote")
            if c == '"':
                self.adv()
                return
            if c == "\\":
                self.adv(2)
            elif c == "$" and self.peek(1) in "({":
                self.skip_dollar()
            elif c == "`":
                self.skip_backtick()
            else:
                self.adv()

    def skip_backtick(self):
        self.adv()
        while self.peek() != "`":
            if self.peek() == EOF:
                self.fail("unterminated backtick")
            if self.peek() == "\\":
                self.adv()
            self.adv()
        self.adv()

    def skip_dollar(self):  # $( ... ), $(( ... )), ${ ... }
        open_c = self.peek(1)
        close_c = ")" if open_c == "(" else "}"
        self.adv(2)
        depth = 1
        while depth:
            c = self.peek()
            if c == EOF:
                self.fail("unterminated $%s" % open_c)
            if c == "\\":
                self.adv(2)
                continue
            if c == "'" and open_c == "(":
                self.skip_single()
                continue
            if c == '"':
                self.skip_double()
                continue
            if c == "`":
                self.skip_backtick()
                continue
            if c == "$" and self.peek(1) in "({":
                self.skip_dollar()
                continue
            if c == "#" and open_c == "(" and self.s[self.i - 1] in " \t\n":
                while self.peek() not in ("\n", EOF):
                    self.adv()
                continue
            if c == open_c:
                depth += 1
            elif c == close_c:
                depth -= 1
            self.adv()

    def skip_parens(self):  # ( ... ) with quotes and nesting
        depth = 0
        while True:
            c = self.peek()
            if c == EOF:
                self.fail("unterminated (")
            if c == "\\":
                self.adv(2)
                continue
            if c == "'":
                self.skip_single()
                continue
            if c == '"':
                self.skip_double()
                continue
            if c == "$" and self.peek(1) in "({":
                self.skip_dollar()
                continue
            if c == "(":
                depth += 1
            elif c == ")":
                depth -= 1
            self.adv()
            if depth == 0:
                return

    def read_word(self):
        start = self.i
        while True:
            c = self.peek()
            if c == "(" and ARRAY_ASSIGN_RE.match(self.s[start:self.i]):
                self.skip_parens()  # NAME=(...) is one word
                continue
            if c == EOF or c in " \t\n;&|()<>":
                break
            if c == "\\":
                if self.peek(1) == "\n":  # line continuation inside a word
                    self.adv(2)
                    continue
                self.adv(2)
            elif c == "'":
                self.skip_single()
            elif c == '"':
                self.skip_double()
            elif c == "`":
                self.skip_backtick()
            elif c == "$" and self.peek(1) == "'":
                self.skip_ansi()
            elif c == "$" and self.peek(1) in "({":
                self.skip_dollar()
            else:
                self.adv()
        return self.s[start:self.i].replace("\\\n", "")

    def read_heredocs(self):
        for delim, strip in self.heredocs:
            while True:
                if self.i >= len(self.s):
                    self.fail("here-document %r not terminated" % delim)
                end = self.s.find("\n", self.i)
                end = len(self.s) if end < 0 else end
                body = self.s[self.i:end]
                self.adv(end - self.i + 1)
                if (body.lstrip("\t") if strip else body) == delim:
                    break
        self.heredocs = []

    def emit(self, kind, text, line):
        self.toks.append(Tok(kind, text, line))

    def run(self):
        dbracket = False
        while self.i < len(self.s):
            c = self.peek()
            line = self.line
            if c in " \t":
                self.adv()
            elif c == "\\" and self.peek(1) == "\n":
                self.adv(2)
            elif c == "\n":
                self.adv()
                self.emit("nl", "\n", line)
                if self.heredocs:
                    self.read_heredocs()
            elif c == "#":
                while self.peek() not in ("\n", EOF):
                    self.adv()
            elif dbracket and c in "&|()<>":
                # Inside [[ ]] these are operators of the test, not of the shell.
                j = self.i
                while self.peek() in ("&", "|", "(", ")", "<", ">"):
                    self.adv()
                self.emit("w", self.s[j:self.i], line)
            elif c == "<" and self.peek(1) == "<" and self.peek(2) != "<":
                self.adv(2)
                strip = False
                if self.peek() == "-":
                    strip = True
                    self.adv()
                while self.peek() in " \t":
                    self.adv()
                raw = self.read_word()
                if not raw:
                    self.fail("here-document without a delimiter")
                self.heredocs.append((re.sub(r"[\"'\\]", "", raw), strip))
                self.emit("redir", "<<" + raw, line)
            elif c in "<>" and self.peek(1) == "(":  # process substitution
                j = self.i
                self.adv()
                self.skip_parens()
                self.emit("w", self.s[j:self.i], line)
            elif c in "<>" or (c == "&" and self.peek(1) == ">") or \
                    (c.isdigit() and self.redir_after_digits()):
                j = self.i
                while self.peek().isdigit():
                    self.adv()
                rest = self.s[self.i:self.i + 3]
                for op in ("&>>", "<<<", "&>", ">>", "<>", ">|", ">&", "<&", ">", "<"):
                    if rest.startswith(op):
                        self.adv(len(op))
                        break
                dup = self.s[self.i - 1] == "&" and (self.peek().isdigit() or self.peek() == "-")
                if dup:
                    while self.peek().isdigit() or self.peek() == "-":
                        self.adv()
                    self.emit("redir", self.s[j:self.i], line)
                else:
                    op = self.s[j:self.i]
                    while self.peek() in " \t":
                        self.adv()
                    self.emit("redir", op + self.read_word(), line)
            elif c in ";&|":
                two = c + self.peek(1)
                if two in ("&&", "||", ";;"):
                    self.adv(2)
                    self.emit("op", two, line)
                else:
                    self.adv()
                    self.emit("op", c, line)
            elif c in "()":
                self.adv()
                self.emit("op", c, line)
            else:
                w = self.read_word()
                if not w:
                    self.fail("cannot read %r" % c)
                if w == "[[":
                    dbracket = True
                elif w == "]]":
                    dbracket = False
                self.emit("w", w, line)
        self.emit("nl", "\n", self.line)
        self.emit("eof", "", self.line)
        return self.toks

    def redir_after_digits(self):
        j = self.i
        while j < len(self.s) and self.s[j].isdigit():
            j += 1
        if j < len(self.s) and self.s[j] in "<>":
            prev = self.s[self.i - 1] if self.i else " "
            return prev in " \t\n;&|()"
        return False


# Tree: a list is [AndOr]; an AndOr is [Pipeline] with len > 1 meaning && / ||;
# a Pipeline is [Command]; a Command is ("simple", words, line) or
# ("compound", [list...], line).
class Parser:
    def __init__(self, toks):
        self.t = toks
        self.i = 0

    def cur(self):
        return self.t[self.i]

    def fail(self, msg):
        raise LintError("line %d: %s (at %r)" % (self.cur().line, msg, self.cur().text))

    def at_word(self, *words):
        c = self.cur()
        return c.kind == "w" and c.text in words

    def expect_word(self, w):
        if not self.at_word(w):
            self.fail("expected %r" % w)
        self.i += 1

    def skip_nl(self):
        while self.cur().kind == "nl" or (self.cur().kind == "op" and self.cur().text == ";"):
            self.i += 1

    def parse_list(self, stops):
        items = []
        while True:
            self.skip_nl()
            c = self.cur()
            if c.kind == "eof":
                return items
            if c.kind == "w" and c.text in stops:
                return items
            if c.kind == "op" and c.text in (")", ";;"):
                return items
            items.append(self.parse_andor())
            c = self.cur()
            if c.kind == "op" and c.text in (";", "&"):
                self.i += 1

    def parse_andor(self):
        pipes = [self.parse_pipeline()]
        while self.cur().kind == "op" and self.cur().text in ("&&", "||"):
            self.i += 1
            while self.cur().kind == "nl":
                self.i += 1
            pipes.append(self.parse_pipeline())
        return pipes

    def parse_pipeline(self):
        if self.at_word("!", "time"):
            self.i += 1
        cmds = [self.parse_command()]
        while self.cur().kind == "op" and self.cur().text == "|":
            self.i += 1
            while self.cur().kind == "nl":
                self.i += 1
            cmds.append(self.parse_command())
        return cmds

    def trailing_redirs(self):
        while self.cur().kind == "redir":
            self.i += 1

    def parse_command(self):
        c = self.cur()
        line = c.line
        if c.kind == "op" and c.text == "(":
            self.i += 1
            if self.cur().kind == "op" and self.cur().text == "(":  # (( arithmetic ))
                depth = 2
                self.i += 1
                while depth:
                    t = self.cur()
                    if t.kind == "eof":
                        self.fail("unterminated ((")
                    if t.kind == "op" and t.text == "(":
                        depth += 1
                    elif t.kind == "op" and t.text == ")":
                        depth -= 1
                    self.i += 1
                self.trailing_redirs()
                return ("simple", ["(("], line)
            body = self.parse_list(())
            if not (self.cur().kind == "op" and self.cur().text == ")"):
                self.fail("expected ')'")
            self.i += 1
            self.trailing_redirs()
            return ("compound", [body], line)
        if c.kind != "w" and c.kind != "redir":
            self.fail("expected a command")
        if c.kind == "w":
            if c.text == "{":
                self.i += 1
                body = self.parse_list(("}",))
                self.expect_word("}")
                self.trailing_redirs()
                return ("compound", [body], line)
            if c.text == "if":
                self.i += 1
                parts = [self.parse_list(("then",))]
                self.expect_word("then")
                parts.append(self.parse_list(("elif", "else", "fi")))
                while self.at_word("elif"):
                    self.i += 1
                    parts.append(self.parse_list(("then",)))
                    self.expect_word("then")
                    parts.append(self.parse_list(("elif", "else", "fi")))
                if self.at_word("else"):
                    self.i += 1
                    parts.append(self.parse_list(("fi",)))
                self.expect_word("fi")
                self.trailing_redirs()
                return ("compound", parts, line)
            if c.text in ("while", "until"):
                self.i += 1
                cond = self.parse_list(("do",))
                self.expect_word("do")
                body = self.parse_list(("done",))
                self.expect_word("done")
                self.trailing_redirs()
                return ("compound", [cond, body], line)
            if c.text in ("for", "select"):
                self.i += 1
                while not (self.at_word("do") and self.t[self.i - 1].kind in ("nl", "op")):
                    if self.cur().kind == "eof":
                        self.fail("for without do")
                    self.i += 1
                self.expect_word("do")
                body = self.parse_list(("done",))
                self.expect_word("done")
                self.trailing_redirs()
                return ("compound", [body], line)
            if c.text == "case":
                self.i += 1
                self.i += 1  # the word
                self.expect_word("in")
                parts = []
                while True:
                    self.skip_nl()
                    if self.at_word("esac"):
                        self.i += 1
                        break
                    if self.cur().kind == "op" and self.cur().text == "(":
                        self.i += 1
                    while not (self.cur().kind == "op" and self.cur().text == ")"):
                        if self.cur().kind == "eof":
                            self.fail("case pattern without ')'")
                        self.i += 1
                    self.i += 1
                    parts.append(self.parse_list(("esac",)))
                    if self.cur().kind == "op" and self.cur().text == ";;":
                        self.i += 1
                self.trailing_redirs()
                return ("compound", parts, line)
            if c.text == "function":
                self.i += 2
                if self.cur().kind == "op" and self.cur().text == "(":
                    self.i += 2
                self.skip_nl()
                return ("compound", [[[[self.parse_command()]]]], line)
            if c.text in RESERVED_END:
                self.fail("unexpected %r" % c.text)
            n = self.t[self.i + 1]
            if n.kind == "op" and n.text == "(" and self.t[self.i + 2].text == ")":
                self.i += 3  # NAME () COMMAND
                self.skip_nl()
                return ("compound", [[[[self.parse_command()]]]], line)
        words = []
        while True:
            t = self.cur()
            if t.kind == "w":
                words.append(t.text)
            elif t.kind != "redir":
                break
            self.i += 1
        return ("simple", words, line)


def unquote(w):
    return re.sub(r"[\"']", "", w)


def constant_reason(words):
    """Why the assertion `words` always gives the same answer, or None."""
    name = words[0]
    args = [w for w in words[1:]]
    if name == "check":
        cond = args[1:]
        if not args:
            return "check without a description or condition"
        if not cond:
            return "check without a condition always passes"
        if cond[0] == "!":
            return ("'!' after check DESC is not the shell's negation: it runs a command "
                    "named '!' and always fails (use out_lacks, err_lacks or a function)")
        head = unquote(cond[0])
        if head in ("true", ":", "false"):
            return "check condition '%s' is constant" % " ".join(words[2:])
        if head in ("[", "test", "[["):
            inner = cond[1:]
            if head != "test" and inner:
                inner = inner[:-1]
            dynamic = any("$" in w or "`" in w for w in inner)
            filetest = any(unquote(w) in FILE_TESTS for w in inner)
            if not dynamic and not filetest:
                return "check condition '%s' uses no variable, command or file" % \
                    " ".join(words[2:])
        if head in ("out_has", "err_has") and len(cond) >= 2 and unquote(cond[1]) == "":
            return "check condition '%s' matches any output" % " ".join(words[2:])
        return None
    if name == "expect_ok" and len(args) < 2:
        return "expect_ok without udocker arguments always passes"
    if name == "expect_fail" and len(args) < 4:
        return "expect_fail needs DESC RC MESSAGE ARGS"
    return None


def simple_name(andor):
    """The command name of an AndOr that is one simple command, else None."""
    if len(andor) == 1 and len(andor[0]) == 1 and andor[0][0][0] == "simple":
        words = andor[0][0][1]
        return words[0] if words else None
    return None


def walk(lst, flagged, out, top=False):
    for i, andor in enumerate(lst):
        if simple_name(andor) == "finish":
            last = i + 1 == len(lst)
            if not (last and top) and (last or simple_name(lst[i + 1]) != "exit"):
                out.append((andor[0][0][2], "'finish' not followed by 'exit': the script "
                            "goes on after its summary"))
        f = flagged or len(andor) > 1
        for pipe in andor:
            fp = f or len(pipe) > 1
            for cmd in pipe:
                kind, body, line = cmd
                if kind == "simple":
                    if body and ASSERT_RE.match(body[0]):
                        if fp:
                            out.append((line, "'%s' is part of an && / || list or a pipeline: "
                                        "only its own condition is asserted" % body[0]))
                        why = constant_reason(body)
                        if why:
                            out.append((line, why))
                else:
                    for part in body:
                        walk(part, fp, out)


def lint_text(text):
    toks = Lexer(text).run()
    tree = Parser(toks).parse_list(())
    out = []
    walk(tree, False, out, top=True)
    return sorted(out)


def main(argv):
    top = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    files = argv[1:] or sorted(glob.glob(os.path.join(top, "tests/functional/*.sh")) +
                               glob.glob(os.path.join(top, "tests/stress/*.sh")))
    found = 0
    checked = 0
    for path in files:
        shown = os.path.relpath(path) if not os.path.isabs(path) or path.startswith(top) else path
        with open(path, encoding="utf-8") as f:
            text = f.read()
        try:
            problems = lint_text(text)
        except LintError as e:
            print("%s:%s" % (shown, e))
            found += 1
            continue
        checked += 1
        for line, msg in problems:
            print("%s:%d: %s" % (shown, line, msg))
            found += 1
    print("lint-checks: %d file(s), %d problem(s)" % (checked, found))
    return 1 if found else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
