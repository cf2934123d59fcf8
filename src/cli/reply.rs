//! `deskmail reply`: a person's answer from the command line. The mail is shown as it will go
//! out; it is sent when confirmed on a terminal, or at once with `--send`. An empty body and
//! staff-only templates are refused; a template of another category than the ticket's is
//! named before anything goes.

use std::io::{BufRead, IsTerminal, Write};
use std::path::PathBuf;

use jiff::Timestamp;

use super::Failure;
use super::output::outln;
use crate::config::Settings;
use crate::daemon;
use crate::notices::{self, PreparedReply, ReplyBody, ReplyError};
use crate::store::Store;

pub fn reply(
    settings: &Settings,
    ticket: i64,
    template: Option<String>,
    body_file: Option<PathBuf>,
    send: bool,
) -> Result<i32, Failure> {
    let loaded = daemon::load(settings)?;
    let body = body(settings, &loaded.templates, template, body_file)?;
    let mut store = Store::open_existing(&settings.database)?;
    let now = Timestamp::now();
    let prepared = match notices::prepare_reply(&store, settings, &loaded.templates, ticket, body, now) {
        Ok(prepared) => prepared,
        Err(ReplyError::NoTicket(n)) => {
            eprintln!("deskmail: no ticket #{n}");
            return Ok(1);
        }
        Err(ReplyError::Empty) => return Err(Failure::Data("the reply is empty: nothing was sent".into())),
        Err(e) => return Err(Failure::Data(e.to_string())),
    };
    show(&prepared)?;
    if let Some(warning) = category_warning(settings, &prepared) {
        eprintln!("deskmail: warning: {warning}");
    }
    if !send && !confirmed()? {
        outln!("not sent (confirm on a terminal, or give --send)");
        return Ok(0);
    }
    notices::queue_reply(&mut store, settings, &prepared, &super::staff_name(), Timestamp::now())
        .map_err(Failure::temporary)?;
    outln!("queued reply to ticket #{ticket}: {}", prepared.subject);
    flush(settings, store)
}

/// The reply's body: a customer template (staff-only ones are refused) or a file's text.
fn body(
    settings: &Settings,
    templates: &crate::compose::Templates,
    template: Option<String>,
    body_file: Option<PathBuf>,
) -> Result<ReplyBody, Failure> {
    match (template, body_file) {
        (Some(name), _) if crate::compose::check::staff_only(&name) => {
            Err(Failure::Usage(format!("`{name}` is a notice for staff, not a reply to a customer")))
        }
        (Some(name), _) if !templates.exists(&name) => {
            Err(Failure::config(format!("no template `{name}` in {}", settings.templates_dir.display())))
        }
        (Some(name), _) => Ok(ReplyBody::Template(name)),
        (None, Some(path)) => std::fs::read_to_string(&path)
            .map(ReplyBody::Text)
            .map_err(|e| Failure::NoInput(format!("{}: {e}", path.display()))),
        (None, None) => Err(Failure::Usage("give --template or --body-file".into())),
    }
}

fn show(reply: &PreparedReply) -> Result<(), Failure> {
    outln!("To:       {} <{}>", reply.to_name, reply.to);
    outln!("Subject:  {}", reply.subject);
    outln!();
    for line in reply.rendered.text.lines() {
        outln!("{line}");
    }
    outln!();
    Ok(())
}

/// A template named after a declared category that is not the ticket's: likely the wrong
/// canned text.
fn category_warning(settings: &Settings, reply: &PreparedReply) -> Option<String> {
    let declared = crate::rules::load::read_categories(&settings.rules_dir).ok().flatten()?;
    let template_category = declared.iter().find(|c| **c == reply.template)?;
    let ticket_category = reply.category.as_deref().unwrap_or("none");
    (template_category != ticket_category).then(|| {
        format!(
            "template `{}` answers {template_category}, but ticket #{} is {ticket_category}",
            reply.template, reply.ticket
        )
    })
}

/// Asks on the terminal; without one (a script, a pipe) nothing is confirmed.
fn confirmed() -> Result<bool, Failure> {
    if !std::io::stdin().is_terminal() {
        return Ok(false);
    }
    eprint!("Send this reply? [y/N] ");
    let _ = std::io::stderr().flush();
    let mut answer = String::new();
    std::io::stdin().lock().read_line(&mut answer).map_err(|e| Failure::temporary(e.to_string()))?;
    Ok(matches!(answer.trim(), "y" | "Y" | "yes"))
}

/// Sends what the outbox holds at once when the transport is reachable (otherwise the
/// daemon's next pass sends it).
fn flush(settings: &Settings, store: Store) -> Result<i32, Failure> {
    let runtime =
        tokio::runtime::Builder::new_current_thread().enable_all().build().map_err(Failure::temporary)?;
    // The SMTP connection pool lives on the runtime: build (and drop) it inside.
    let _runtime = runtime.enter();
    let transport = daemon::transport(settings)?;
    let store = std::sync::Mutex::new(store);
    let flushed = runtime.block_on(crate::send::flush(
        &store,
        &transport,
        &settings.support_address,
        settings.self_copy.as_deref(),
        settings.retry_base,
        &crate::shutdown::Control::default(),
        &Timestamp::now,
    ))?;
    outln!(
        "sent {} mail(s); {} left for the daemon to retry",
        flushed.sent,
        flushed.retried + flushed.failed
    );
    Ok(0)
}
