#!/usr/bin/env python3
"""Helpers for scripts/bench-e2e.sh (Python 3.11, standard library only).

Every subcommand prints its results as KEY=VALUE lines (numbers or simple words, safe to
`source` from bash) on stdout; problems go to stderr with a non-zero exit code. Every
network operation and every wait has a timeout.

  load-maildir SRC MAILDIR UID GID      write SRC/*.eml into MAILDIR/new (LF line ends)
  big-mail MAILDIR UID GID BYTES TAG    write one customer mail with a base64 attachment,
                                        BYTES long in its CRLF (IMAP RFC822.SIZE) form
  imap-fetch                            plain imaplib fetch of a whole mailbox (read-only)
  imap-count                            EXISTS / UNSEEN of a few mailboxes
  imap-empty                            expunge every mail of a mailbox
  server-floor                          the mail server's own cost of deskmail's work: fetch
                                        and MOVE the INBOX in batches, then send the replies
                                        in deskmail's database (with the self-copy), 8 at once
  wait-count                            wait until a mailbox holds at least N mails
  latency                               SMTP -> deskmail (IDLE) -> acknowledgement latency
  latency-split DETAIL LOGFILE          where the latency goes (before/after deskmail's pass)
  log-phases LOGFILE                    processing/sending split from a deskmail JSON log
"""

import argparse
import base64
import concurrent.futures
import imaplib
import json
import os
import random
import re
import smtplib
import socket
import sqlite3
import statistics
import sys
import threading
import time
from email.utils import format_datetime, make_msgid
from datetime import datetime, timezone

TIMEOUT = 60  # seconds, for every socket operation


def die(msg):
    print(f"mailbench: {msg}", file=sys.stderr)
    sys.exit(1)


def out(**kv):
    for k, v in kv.items():
        if isinstance(v, float):
            v = f"{v:.6f}"
        print(f"{k}={v}")
    sys.stdout.flush()


# ---- Maildir ----------------------------------------------------------------------------

_seq = 0


def maildir_write(maildir, data_crlf, uid, gid):
    """Writes one mail into MAILDIR/new the Maildir way (tmp, then rename), with LF line ends
    as Dovecot's own deliveries store them; S= (file size) and W= (CRLF size) in the name."""
    global _seq
    _seq += 1
    data = data_crlf.replace(b"\r\n", b"\n")
    now = time.time()
    name = f"{int(now)}.M{int((now % 1) * 1e6)}P{os.getpid()}Q{_seq}.bench,S={len(data)},W={len(data_crlf)}"
    tmp = os.path.join(maildir, "tmp", name)
    with open(tmp, "wb") as f:
        f.write(data)
    os.chown(tmp, uid, gid)
    os.rename(tmp, os.path.join(maildir, "new", name))
    return len(data_crlf)


def maildir_prepare(maildir, uid, gid):
    for sub in ("cur", "new", "tmp"):
        os.makedirs(os.path.join(maildir, sub), exist_ok=True)
    # chown the Maildir and every missing-then-created parent up to the mail root's child
    path = maildir
    for _ in range(4):
        os.chown(path, uid, gid)
        path = os.path.dirname(path)
    for sub in ("cur", "new", "tmp"):
        os.chown(os.path.join(maildir, sub), uid, gid)


def to_crlf(raw):
    return raw.replace(b"\r\n", b"\n").replace(b"\n", b"\r\n")


def cmd_load_maildir(a):
    files = sorted(f for f in os.listdir(a.src) if f.endswith(".eml"))
    if not files:
        die(f"no .eml files in {a.src}")
    maildir_prepare(a.maildir, a.uid, a.gid)
    t0 = time.monotonic()
    total = 0
    for f in files:
        with open(os.path.join(a.src, f), "rb") as fh:
            total += maildir_write(a.maildir, to_crlf(fh.read()), a.uid, a.gid)
    out(LOADED=len(files), LOADED_BYTES=total, LOAD_SECONDS=time.monotonic() - t0)


def cmd_big_mail(a):
    """A customer's mail with a video attachment, just under BYTES in CRLF form."""
    msgid = f"<big-{a.tag}-{random.getrandbits(48):012x}@customer.example>"
    head = (
        "Return-Path: <big.customer@customer.example>\r\n"
        "From: Big Customer <big.customer@customer.example>\r\n"
        "To: OKPay Support <support@example.test>\r\n"
        f"Subject: Payment failed, screen recording attached ({a.tag})\r\n"
        f"Date: {format_datetime(datetime.now(timezone.utc))}\r\n"
        f"Message-ID: {msgid}\r\n"
        "MIME-Version: 1.0\r\n"
        'Content-Type: multipart/mixed; boundary="=_bench_boundary"\r\n'
        "\r\n"
        "--=_bench_boundary\r\n"
        "Content-Type: text/plain; charset=utf-8\r\n"
        "Content-Transfer-Encoding: 8bit\r\n"
        "\r\n"
        "Hello,\r\n\r\nmy payment failed three times today, I attach a screen recording.\r\n"
        "Order T202611220001, amount 129.00 CNY. Please help.\r\n\r\nBig Customer\r\n"
        "\r\n"
        "--=_bench_boundary\r\n"
        "Content-Type: video/mp4; name=\"recording.mp4\"\r\n"
        "Content-Disposition: attachment; filename=\"recording.mp4\"\r\n"
        "Content-Transfer-Encoding: base64\r\n"
        "\r\n"
    ).encode()
    tail = b"\r\n--=_bench_boundary--\r\n"
    room = a.bytes - len(head) - len(tail)
    if room < 1000:
        die("big-mail: BYTES too small")
    # base64 lines of 76 chars + CRLF (78 bytes) hold 57 raw bytes each
    lines = room // 78
    raw = os.urandom(lines * 57)
    b64 = base64.b64encode(raw)
    body = b"\r\n".join(b64[i:i + 76] for i in range(0, len(b64), 76))
    data = head + body + tail  # at most 78 bytes under BYTES
    maildir_prepare(a.maildir, a.uid, a.gid)
    size = maildir_write(a.maildir, data, a.uid, a.gid)
    out(BIG_SIZE=size, BIG_ATTACHMENT=len(raw), BIG_MSGID=msgid.strip("<>"))


# ---- IMAP -------------------------------------------------------------------------------

def imap_login(a, user=None, password=None):
    try:
        m = imaplib.IMAP4(a.host, a.port, timeout=TIMEOUT)
        m.login(user or a.user, password or a.password)
        return m
    except (OSError, imaplib.IMAP4.error) as e:
        die(f"IMAP {a.host}:{a.port} as {user or a.user}: {e}")


def ok(typ, data, what):
    if typ != "OK":
        die(f"IMAP {what}: {typ} {data!r}")
    return data


def cmd_imap_fetch(a):
    t0 = time.monotonic()
    m = imap_login(a)
    ok(*m.select(a.mailbox, readonly=True), "EXAMINE")
    uids = [int(u) for u in ok(*m.uid("SEARCH", None, "ALL"), "UID SEARCH")[0].split()]
    uids.sort()
    n, total = 0, 0
    for i in range(0, len(uids), a.batch):
        chunk = uids[i:i + a.batch]
        data = ok(*m.uid("FETCH", f"{chunk[0]}:{chunk[-1]}", "(BODY.PEEK[])"), "UID FETCH")
        for item in data:
            if isinstance(item, tuple):
                n += 1
                total += len(item[1])
    m.logout()
    secs = time.monotonic() - t0
    if n != len(uids):
        die(f"fetched {n} mails, expected {len(uids)}")
    out(FETCHED=n, FETCHED_BYTES=total, FETCH_SECONDS=secs, FETCH_RATE=n / secs if secs else 0.0)


def mailbox_counts(m, mailbox):
    typ, data = m.status(mailbox, "(MESSAGES UNSEEN)")
    if typ != "OK":
        return -1, -1
    text = data[0].decode()
    msgs = re.search(r"MESSAGES (\d+)", text)
    unseen = re.search(r"UNSEEN (\d+)", text)
    return int(msgs.group(1)), int(unseen.group(1))


def cmd_imap_count(a):
    m = imap_login(a)
    for mb in a.mailboxes:
        n, unseen = mailbox_counts(m, mb)
        key = re.sub(r"[^A-Za-z0-9]", "_", mb).upper()
        out(**{f"COUNT_{key}": n, f"UNSEEN_{key}": unseen})
    m.logout()


def cmd_imap_empty(a):
    m = imap_login(a)
    typ, _ = m.select(a.mailbox)
    if typ == "OK":
        typ, data = m.search(None, "ALL")
        if data and data[0]:
            ok(*m.store("1:*", "+FLAGS.SILENT", r"(\Deleted)"), "STORE")
            ok(*m.expunge(), "EXPUNGE")
        m.close()
    m.logout()
    out(EMPTIED=1)


def cmd_wait_count(a):
    deadline = time.monotonic() + a.timeout
    last = -1
    while True:
        m = imap_login(a)
        last, _ = mailbox_counts(m, a.mailbox)
        m.logout()
        if last >= a.count:
            out(WAIT_COUNT=last)
            return
        if time.monotonic() > deadline:
            die(f"{a.user} {a.mailbox}: {last} mails after {a.timeout} s, expected {a.count}")
        time.sleep(0.5)


# ---- the server floor ---------------------------------------------------------------------

def uid_ranges(uids):
    """A UID set of exactly these UIDs, runs compressed: [1, 2, 3, 5] -> '1:3,5'."""
    parts, start, prev = [], None, None
    for uid in sorted(uids):
        if start is None:
            start = prev = uid
        elif uid == prev + 1:
            prev = uid
        else:
            parts.append(f"{start}:{prev}" if prev > start else str(start))
            start = prev = uid
    if start is not None:
        parts.append(f"{start}:{prev}" if prev > start else str(start))
    return ",".join(parts)


def floor_fetch_and_move(a):
    """What deskmail's drain asks of Dovecot, nothing else: read every mail of the INBOX and
    MOVE it out, one UID FETCH and one UID MOVE per batch. Returns (mails, bytes)."""
    m = imap_login(a)
    m.create(a.dest)  # NO when it exists already: fine
    ok(*m.select(a.mailbox), "SELECT")
    n, total = 0, 0
    while True:
        uids = sorted(int(u) for u in ok(*m.uid("SEARCH", None, "ALL"), "UID SEARCH")[0].split())
        if not uids:
            break
        chunk = uid_ranges(uids[:a.batch])
        for item in ok(*m.uid("FETCH", chunk, "(BODY.PEEK[])"), "UID FETCH"):
            if isinstance(item, tuple):
                n += 1
                total += len(item[1])
        ok(*m.uid("MOVE", chunk, a.dest), "UID MOVE")
    m.logout()
    return n, total


def floor_replies(db):
    """Deskmail's replies (recipient, raw bytes), read from its database: the same mails."""
    conn = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
    try:
        return conn.execute("SELECT recipient, raw FROM outbox ORDER BY id").fetchall()
    finally:
        conn.close()


def floor_send(a, replies):
    """Sends every reply from the support address to its recipient and, in the same SMTP
    transaction, to the self-copy address, over `concurrency` reused connections."""
    local = threading.local()
    opened = []

    def send(reply):
        recipient, raw = reply
        if not hasattr(local, "smtp"):
            local.smtp = smtplib.SMTP(a.host, a.smtp_port, timeout=TIMEOUT)
            opened.append(local.smtp)
        rcpts = [recipient] + ([a.self_copy] if a.self_copy and a.self_copy != recipient else [])
        local.smtp.sendmail(a.sender, rcpts, raw)

    with concurrent.futures.ThreadPoolExecutor(max_workers=a.concurrency) as pool:
        for f in [pool.submit(send, r) for r in replies]:
            f.result()
    for s in opened:
        try:
            s.quit()
        except (OSError, smtplib.SMTPException):
            pass


def cmd_server_floor(a):
    replies = floor_replies(a.db)
    t0 = time.monotonic()
    n, total = floor_fetch_and_move(a)
    t1 = time.monotonic()
    try:
        floor_send(a, replies)
    except (OSError, smtplib.SMTPException) as e:
        die(f"SMTP to {a.host}:{a.smtp_port}: {e}")
    t2 = time.monotonic()
    out(FLOOR_MAILS=n, FLOOR_BYTES=total, FLOOR_MOVE_SECONDS=t1 - t0, FLOOR_SENT=len(replies),
        FLOOR_SEND_SECONDS=t2 - t1, FLOOR_SECONDS=t2 - t0)


# ---- latency ----------------------------------------------------------------------------

CUSTOMER_MAILS = [
    ("Refund for order {n}", "Hello,\n\nI was charged twice for order T2026{n:06d}. "
     "Please refund the second payment.\n\nThanks,\nC. Ustomer\n"),
    ("订单 {n} 退款", "您好，\n\n订单 T2026{n:06d} 被重复扣款了，请帮我退款。\n谢谢！\n"),
    ("訂單 {n} 無法付款", "您好：\n\n訂單 T2026{n:06d} 付款一直失敗，請協助處理。\n謝謝！\n"),
    ("Cannot log in ({n})", "Hi,\n\nI cannot log in to my account since this morning, "
     "the app says my password is wrong (ref {n}).\n\nRegards\n"),
]


def customer_mail(n, sender, to):
    subject, body = CUSTOMER_MAILS[n % len(CUSTOMER_MAILS)]
    msgid = make_msgid(idstring=f"lat{n}", domain="customer.example")
    raw = (
        f"From: Customer <{sender}>\r\nTo: {to}\r\nSubject: {subject.format(n=n)}\r\n"
        f"Date: {format_datetime(datetime.now(timezone.utc))}\r\nMessage-ID: {msgid}\r\n"
        "MIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\n"
        "Content-Transfer-Encoding: 8bit\r\n\r\n"
        + body.format(n=n).replace("\n", "\r\n")
    ).encode()
    return msgid, raw


def alive(pid):
    """The process exists and is not a zombie."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


def percentile(sorted_values, p):
    if not sorted_values:
        return 0.0
    k = (len(sorted_values) - 1) * p / 100
    lo = int(k)
    hi = min(lo + 1, len(sorted_values) - 1)
    return sorted_values[lo] + (sorted_values[hi] - sorted_values[lo]) * (k - lo)


def cmd_latency(a):
    imap = imap_login(a, a.cust_user, a.cust_pass)
    ok(*imap.select("INBOX", readonly=True), "EXAMINE")
    last_uid = 0
    typ, data = imap.uid("SEARCH", None, "ALL")
    if typ == "OK" and data[0]:
        last_uid = max(int(u) for u in data[0].split())
    results, timeouts = [], 0
    overall = time.monotonic() + a.overall_timeout
    detail = open(a.detail, "w") if a.detail else None
    for n in range(1 - a.warmup, a.count + 1):
        warm = n < 1
        if a.watch_pid and not alive(a.watch_pid):
            die(f"deskmail (pid {a.watch_pid}) is gone")
        if time.monotonic() > overall:
            die(f"overall timeout ({a.overall_timeout} s) after {n - 1} mails")
        msgid, raw = customer_mail(n + a.warmup, a.cust_user, a.to)
        try:
            with smtplib.SMTP(a.host, a.smtp_port, timeout=TIMEOUT) as s:
                s.sendmail(a.cust_user, [a.to], raw)  # returns after the 250 to DATA
                t0 = time.monotonic()
                wall0 = time.time()
        except (OSError, smtplib.SMTPException) as e:
            die(f"SMTP to {a.host}:{a.smtp_port}: mail {n}: {e}")
        deadline = t0 + a.timeout
        found = None
        while found is None:
            imap.noop()  # lets Dovecot announce new mail before the search
            crit = f'UID {last_uid + 1}:* HEADER In-Reply-To "{msgid}"'
            typ, data = imap.uid("SEARCH", None, crit)
            if typ != "OK":
                die(f"IMAP SEARCH failed: {data!r}")
            uids = [int(u) for u in data[0].split() if int(u) > last_uid] if data[0] else []
            if uids:
                found = time.monotonic() - t0
                break
            if time.monotonic() > deadline:
                break
            if a.watch_pid and not alive(a.watch_pid):
                die(f"deskmail (pid {a.watch_pid}) is gone")
            time.sleep(a.poll)
        if found is None:
            if warm:
                die(f"warm-up mail {msgid}: no acknowledgement within {a.timeout} s")
            timeouts += 1
            print(f"mailbench: mail {n} ({msgid}): no acknowledgement within {a.timeout} s",
                  file=sys.stderr)
            if detail:
                print(f"{n}\t{msgid}\t{wall0:.6f}\ttimeout", file=detail, flush=True)
            if timeouts >= a.max_timeouts:
                die(f"{timeouts} mails got no acknowledgement; giving up")
        else:
            if not warm:
                results.append(found)
            if detail:
                print(f"{'warm-up' if warm else n}\t{msgid}\t{wall0:.6f}\t{found:.3f}",
                      file=detail, flush=True)
            # later searches only look at mail that arrived after this acknowledgement
            typ, data = imap.uid("SEARCH", None, "ALL")
            if typ == "OK" and data[0]:
                last_uid = max(int(u) for u in data[0].split())
        if a.gap:
            time.sleep(a.gap)
    imap.logout()
    s = sorted(results)
    out(
        LAT_N=len(s),
        LAT_TIMEOUTS=timeouts,
        LAT_MEDIAN=statistics.median(s) if s else 0.0,
        LAT_P90=percentile(s, 90),
        LAT_WORST=s[-1] if s else 0.0,
        LAT_BEST=s[0] if s else 0.0,
        LAT_MEAN=statistics.fmean(s) if s else 0.0,
    )


# ---- deskmail's JSON log ------------------------------------------------------------------

def log_records(path):
    with open(path, encoding="utf-8", errors="replace") as f:
        for line in f:
            try:
                rec = json.loads(line)
            except ValueError:
                continue
            t = re.sub(r"(\.\d{6})\d*", r"\1", rec.get("timestamp", "")).replace("Z", "+00:00")
            try:
                rec["_t"] = datetime.fromisoformat(t).timestamp()
            except ValueError:
                continue
            yield rec


def cmd_latency_split(a):
    """Splits each latency at deskmail's 'processed' log line: SMTP 250 -> processed (Postfix
    delivery to support, IDLE notification, fetch, pipeline) and processed -> visible (send,
    Postfix delivery to the customer, our 20 ms poll). Mails are sent one at a time, each
    after the previous acknowledgement, so the n-th customer mail is the n-th 'processed'."""
    processed = [r["_t"] for r in log_records(a.log) if r.get("fields", {}).get("message") == "processed"]
    before, after = [], []
    with open(a.detail) as f:
        rows = [line.rstrip("\n").split("\t") for line in f if line.strip()]
    if len(rows) != len(processed):
        die(f"{len(rows)} mails sent but {len(processed)} processed: cannot split the latencies")
    for row, t in zip(rows, processed):
        if row[0] == "warm-up" or row[3] == "timeout":
            continue
        wall0, total = float(row[2]), float(row[3])
        before.append(t - wall0)
        after.append(total - (t - wall0))
    out(SPLIT_IN_MEDIAN=statistics.median(before) if before else 0.0,
        SPLIT_OUT_MEDIAN=statistics.median(after) if after else 0.0)


def cmd_log_phases(a):
    """First/last 'processed' and last 'sent' timestamps: processing vs sending phase."""
    def ts(rec):
        t = rec.get("timestamp", "")
        t = re.sub(r"(\.\d{6})\d*", r"\1", t).replace("Z", "+00:00")
        return datetime.fromisoformat(t).timestamp()

    first = last_proc = last_sent = None
    counts = {"processed": 0, "sent": 0, "quarantined": 0, "already processed; settled again": 0}
    errors = 0
    with open(a.log, encoding="utf-8", errors="replace") as f:
        for line in f:
            try:
                rec = json.loads(line)
            except ValueError:
                continue
            msg = rec.get("fields", {}).get("message", "")
            if rec.get("level") in ("ERROR",):
                errors += 1
            if msg in counts:
                counts[msg] += 1
            if msg in ("processed", "quarantined", "already processed; settled again"):
                t = ts(rec)
                first = t if first is None else first
                last_proc = t
            elif msg == "sent":
                last_sent = ts(rec)
    out(
        LOG_PROCESSED=counts["processed"],
        LOG_SENT=counts["sent"],
        LOG_QUARANTINED=counts["quarantined"],
        LOG_DUPLICATES=counts["already processed; settled again"],
        LOG_ERRORS=errors,
        LOG_PROCESS_SECONDS=(last_proc - first) if first and last_proc else 0.0,
        LOG_SEND_SECONDS=(last_sent - last_proc) if last_sent and last_proc else 0.0,
    )


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = p.add_subparsers(dest="cmd", required=True)

    def imap_args(sp, user=True):
        sp.add_argument("--host", default="127.0.0.1")
        sp.add_argument("--port", type=int, required=True)
        if user:
            sp.add_argument("--user", required=True)
            sp.add_argument("--password", required=True)

    sp = sub.add_parser("load-maildir")
    sp.add_argument("src")
    sp.add_argument("maildir")
    sp.add_argument("uid", type=int)
    sp.add_argument("gid", type=int)
    sp.set_defaults(fn=cmd_load_maildir)

    sp = sub.add_parser("big-mail")
    sp.add_argument("maildir")
    sp.add_argument("uid", type=int)
    sp.add_argument("gid", type=int)
    sp.add_argument("bytes", type=int)
    sp.add_argument("tag")
    sp.set_defaults(fn=cmd_big_mail)

    sp = sub.add_parser("imap-fetch")
    imap_args(sp)
    sp.add_argument("--mailbox", default="INBOX")
    sp.add_argument("--batch", type=int, default=500)
    sp.set_defaults(fn=cmd_imap_fetch)

    sp = sub.add_parser("imap-count")
    imap_args(sp)
    sp.add_argument("mailboxes", nargs="+")
    sp.set_defaults(fn=cmd_imap_count)

    sp = sub.add_parser("imap-empty")
    imap_args(sp)
    sp.add_argument("--mailbox", default="INBOX")
    sp.set_defaults(fn=cmd_imap_empty)

    sp = sub.add_parser("server-floor")
    imap_args(sp)
    sp.add_argument("--smtp-port", type=int, required=True)
    sp.add_argument("--mailbox", default="INBOX")
    sp.add_argument("--dest", default="FloorProcessed", help="folder the mails are moved to")
    sp.add_argument("--batch", type=int, default=200)
    sp.add_argument("--concurrency", type=int, default=8)
    sp.add_argument("--db", required=True, help="deskmail's database: its outbox is sent again")
    sp.add_argument("--sender", default="support@example.test")
    sp.add_argument("--self-copy", default="support@example.test")
    sp.set_defaults(fn=cmd_server_floor)

    sp = sub.add_parser("wait-count")
    imap_args(sp)
    sp.add_argument("--mailbox", default="INBOX")
    sp.add_argument("--count", type=int, required=True)
    sp.add_argument("--timeout", type=float, default=300)
    sp.set_defaults(fn=cmd_wait_count)

    sp = sub.add_parser("latency")
    imap_args(sp, user=False)
    sp.add_argument("--smtp-port", type=int, required=True)
    sp.add_argument("--cust-user", required=True)
    sp.add_argument("--cust-pass", required=True)
    sp.add_argument("--to", default="support@example.test")
    sp.add_argument("--count", type=int, default=100)
    sp.add_argument("--poll", type=float, default=0.02)
    sp.add_argument("--gap", type=float, default=0.5, help="pause after each acknowledgement")
    sp.add_argument("--timeout", type=float, default=75, help="per mail")
    sp.add_argument("--max-timeouts", type=int, default=5)
    sp.add_argument("--overall-timeout", type=float, default=1800)
    sp.add_argument("--detail", help="file for one line per mail")
    sp.add_argument("--warmup", type=int, default=0, help="mails sent first, not counted")
    sp.add_argument("--watch-pid", type=int, help="give up when this process is gone")
    sp.set_defaults(fn=cmd_latency)

    sp = sub.add_parser("latency-split")
    sp.add_argument("detail")
    sp.add_argument("log")
    sp.set_defaults(fn=cmd_latency_split)

    sp = sub.add_parser("log-phases")
    sp.add_argument("log")
    sp.set_defaults(fn=cmd_log_phases)

    a = p.parse_args()
    socket.setdefaulttimeout(TIMEOUT)
    a.fn(a)


if __name__ == "__main__":
    main()
