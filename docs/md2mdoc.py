#!/usr/bin/env python3
"""docs/RUNBOOK.md's restricted markdown to mdoc: python3 docs/md2mdoc.py docs/RUNBOOK.md >man/bk-runbook.7"""
import re, sys

src = open(sys.argv[1]).read().split('\n')
out = []
def esc(s):
    s = s.replace('\\', '\\e')
    return s
import textwrap
def textline(s):
    s = esc(s.strip())
    if not s:
        return
    for w in textwrap.wrap(s, 72, break_on_hyphens=False, break_long_words=False):
        if w[0] in ".'":
            w = '\\&' + w
        out.append(w)
def qarg(s):
    return '"\\&' + esc(s).replace('"', '\\(dq') + '"'

TOK = re.compile(r'`([^`]+)`|\*\*([^*]+)\*\*|\*([^*]+)\*|\b([a-z][a-z0-9_.-]*[a-z0-9])\((\d)\)')
OPEN = '(['
CLOSE = '.,:;)]?!'
def para(s):
    pos = 0
    buf = ''
    for m in TOK.finditer(s):
        buf += s[pos:m.start()]
        pos = m.end()
        pre = ''
        while buf and buf[-1] in OPEN:
            pre = buf[-1] + pre
            buf = buf[:-1]
        nospace = bool(buf) and not buf[-1].isspace()
        for l in re.split(r'(?<=[.?!:])\s+(?=[A-Z`*(])', buf.strip()):
            textline(l)
        buf = ''
        post = ''
        while pos < len(s) and s[pos] in CLOSE and (pos + 1 == len(s) or s[pos+1] in ' ' + CLOSE):
            post += s[pos]
            pos += 1
        if m.group(1) is not None:
            mac = '.Ql ' ; arg = qarg(m.group(1))
        elif m.group(2) is not None:
            g = m.group(2)
            tail = ''
            while g[-1] in CLOSE:
                tail = g[-1] + tail; g = g[:-1]
            mac = '.Sy ' ; arg = qarg(g); post = tail + post
        elif m.group(3) is not None:
            mac = '.Em ' ; arg = qarg(m.group(3))
        elif m.group(4) == 'bk-runbook':
            textline(m.group(0) + post); continue
        else:
            mac = '.Xr ' ; arg = m.group(4) + ' ' + m.group(5)
        line = mac + ' '.join([c for c in pre] + [arg] + [c for c in post])
        if nospace and out and not out[-1].startswith('.'):
            line = line.replace(mac, mac.strip() + ' ', 1)
            out.append('.Ns')  # rare; keeps no space
            out.pop()
        out.append(line)
        # a word glued after (e.g. `x`s): .Ns
        if pos < len(s) and not s[pos].isspace():
            out.append('.Ns')
    rest = s[pos:]
    for l in re.split(r'(?<=[.?!:])\s+(?=[A-Z`*(])', rest.strip()):
        textline(l)

def literal(lines):
    out.append('.Bd -literal -offset indent')
    for l in lines:
        l = esc(l)
        if l.startswith('.') or l.startswith("'"):
            l = '\\&' + l
        out.append(l)
    out.append('.Ed')

out += ['.Dd $Mdocdate$', '.Dt BK-RUNBOOK 7', '.Os', '.Sh NAME', '.Nm bk-runbook',
        '.Nd the day of the disaster: finding, checking and restoring backups with bk',
        '.Sh DESCRIPTION']
i = 0
n = len(src)
inlist = False
def endlist():
    global inlist
    if inlist:
        out.append('.El')
        inlist = False
while i < n:
    l = src[i]
    if l.startswith('# '):
        i += 1; continue
    if l.startswith('## '):
        endlist()
        out.append('.Sh ' + qarg(l[3:].upper()).replace('\\&', '', 1)); i += 1; continue
    if l.startswith('### '):
        endlist()
        out.append('.Ss ' + qarg(l[4:]).replace('\\&', '', 1)); i += 1; continue
    if l.startswith('```'):
        endlist()
        j = i + 1; blk = []
        while not src[j].startswith('```'):
            blk.append(src[j]); j += 1
        literal(blk); i = j + 1; continue
    if l.startswith('|'):
        endlist()
        rows = []
        while i < n and src[i].startswith('|'):
            rows.append([c.strip() for c in src[i].strip('|').split('|')]); i += 1
        out.append('.Bl -tag -width Ds')
        for r in rows[2:]:
            out.append('.It ' + r[0])
            para(r[1][0].upper() + r[1][1:] + '; ' + r[2] + '.')
        out.append('.El')
        continue
    if l.startswith('    ') and not inlist:
        blk = []
        while i < n and (src[i].startswith('    ') or (src[i] == '' and i + 1 < n and src[i+1].startswith('    '))):
            blk.append(src[i][4:]); i += 1
        literal(blk); continue
    if l.startswith('- '):
        if not inlist:
            out.append('.Bl -bullet'); inlist = True
        item = [l[2:]]; i += 1
        out.append('.It')
        while i < n and src[i].startswith('  ') and not src[i].startswith('      '):
            item.append(src[i].strip()); i += 1
        para(' '.join(item))
        # continuation paragraphs / code inside the item
        while i < n:
            if src[i] == '' and i + 1 < n and src[i+1].startswith('      '):
                i += 1; blk = []
                while i < n and (src[i].startswith('      ') or (src[i] == '' and i + 1 < n and src[i+1].startswith('      '))):
                    blk.append(src[i][6:]); i += 1
                literal(blk); continue
            if src[i] == '' and i + 1 < n and src[i+1].startswith('  ') and not src[i+1].startswith('- '):
                i += 1; item = []
                while i < n and src[i].startswith('  ') and not src[i].startswith('      '):
                    item.append(src[i].strip()); i += 1
                out.append('.Pp'); para(' '.join(item)); continue
            break
        continue
    if l == '':
        i += 1
        continue
    endlist()
    p = []
    while i < n and src[i] != '' and not src[i].startswith(('```', '## ', '### ', '|', '- ')):
        p.append(src[i]); i += 1
    out.append('.Pp'); para(' '.join(p))
endlist()
out += ['.Sh SEE ALSO', '.Xr bk-approve 1 ,', '.Xr bk-encrypt 1 ,', '.Xr bk-get 1 ,',
        '.Xr bk-hash 1 ,', '.Xr bk-restore 1 ,', '.Xr bk-verify 1 ,',
        '.Xr ssh-keygen 1 ,', '.Xr bk 7 ,', '.Xr bk-backup 8 ,',
        '.Xr bk-drill 8 ,', '.Xr bk-recover 8']
# .Pp directly after .Sh/.Ss is redundant
res = []
for l in out:
    if l == '.Pp' and res and (res[-1].startswith(('.Sh', '.Ss', '.It')) ):
        continue
    res.append(l)
print('\n'.join(res))
