//! The portal's two form posts that carry files (plain axum, as `multipart/form-data`
//! from an ordinary HTML form, so they work without JavaScript):
//!
//! - `POST /portal/new`: title, description, priority, team and attachments: a new
//!   ticket from the customer, then its confirmation page and email.
//! - `POST /portal/tickets/{number}/reply`: a reply with attachments; a ticket that
//!   was waiting for the customer goes back to the team's first open stage.
//!
//! Everything is checked before anything is written: a refused post writes nothing,
//! and goes back to its page with the message next to its field and what was typed.

use std::collections::HashMap;

use axum::extract::{FromRequest, Multipart, Path, Request, State};
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use tower_sessions::Session;

use app::error::AppError;
use app::portal::store::{self as portal, Viewer};
use app::state::AppState;
use app::tickets::conversation::files;
use app::tickets::conversation::model::{
    clean_file_name, too_large_message, MessageBody, MessageKind,
};
use app::tickets::conversation::store::Writer;
use app::tickets::model::{Priority, TicketTitle};

use crate::spool::{Spool, SpoolError, Spooled};

/// At most this many files in one post, this many other fields, and this many bytes
/// in a text field.
const MAX_FILES: usize = 10;
const MAX_FIELDS: usize = 20;
const MAX_TEXT: usize = 200_000;

fn see_other(to: &str) -> Response {
    let mut res = StatusCode::SEE_OTHER.into_response();
    if let Ok(v) = HeaderValue::from_str(to) {
        res.headers_mut().insert(header::LOCATION, v);
    }
    res
}

/// Sends a refused portal form back to `page` with the error in the address as
/// Leptos puts it (`__path` = `endpoint`, `__err`), keeping what was typed in the
/// fields `names` of `form` in the session (not the address) for the page to put back.
async fn refuse(
    session: &Session,
    page: &str,
    endpoint: &str,
    error: &AppError,
    form: Option<&Form>,
    names: &[&str],
) -> Response {
    if let Some(form) = form {
        let typed: Vec<(&str, &str)> = names.iter().map(|n| (*n, form.text(n))).collect();
        if let Err(e) = app::auth::session::keep_form_in(session, endpoint, &typed).await {
            tracing::warn!(error = %e, "what was typed in a refused form was not kept");
        }
    }
    see_other(&app::api::refusal_location(page, endpoint, error))
}

/// The fields of the New request form that come back when it is refused.
const NEW_FIELDS: [&str; 5] = ["title", "description", "priority", "team", "company"];

/// A file of the form: received in full into the spool (deleted with it unless it
/// was stored), with its name and type.
struct FormFile {
    spooled: Spooled,
    name: String,
    content_type: String,
}

/// A multipart form: its text fields, its files, and the ids of files uploaded
/// before it was sent (`attachment_ids[]`, from the page's upload tray).
struct Form {
    fields: HashMap<String, String>,
    files: Vec<FormFile>,
    uploaded: Vec<i64>,
}

impl Form {
    fn text(&self, name: &str) -> &str {
        self.fields.get(name).map(String::as_str).unwrap_or("")
    }
}

/// Reads the whole form, spooling each file (at most `limit` bytes, at most
/// [`MAX_FILES`]; see `spool`). On error, nothing is left behind.
async fn read_form(state: &AppState, uploader: i64, req: Request) -> Result<Form, AppError> {
    let mut multipart = Multipart::from_request(req, state)
        .await
        .map_err(|e| AppError::validation("form", format!("The form could not be read: {e}")))?;
    let mut form = Form {
        fields: HashMap::new(),
        files: Vec::new(),
        uploaded: Vec::new(),
    };
    let result =
        async {
            while let Some(mut field) = multipart.next_field().await.map_err(|e| {
                AppError::validation("form", format!("The form could not be read: {e}"))
            })? {
                let name = field.name().unwrap_or_default().to_string();
                if let Some(file_name) = field.file_name().map(str::to_string) {
                    if file_name.is_empty() {
                        // The browser sends an empty part for a file input left empty.
                        while field.chunk().await.ok().flatten().is_some() {}
                        continue;
                    }
                    if form.files.len() + form.uploaded.len() >= MAX_FILES {
                        return Err(AppError::validation(
                            "attachments",
                            format!("Attach at most {MAX_FILES} files at a time."),
                        ));
                    }
                    let name = clean_file_name(&file_name);
                    let content_type = field
                        .content_type()
                        .filter(|t| t.len() <= 100 && t.contains('/'))
                        .unwrap_or("application/octet-stream")
                        .to_ascii_lowercase();
                    // A customer's daily quota, less what this form brought already.
                    let s = &state.settings;
                    let left = files::customer_allowance(
                        &state.db,
                        uploader,
                        s.customer_upload_bytes_per_day,
                        s.customer_uploads_per_hour,
                    )
                    .await
                    .map_err(|e| match e {
                        AppError::RateLimited { retry_after_secs } => AppError::validation(
                            "attachments",
                            app::tickets::conversation::model::quota_used_message(retry_after_secs),
                        ),
                        other => other,
                    })?
                    .saturating_sub(form.files.iter().map(|f| f.spooled.size).sum());
                    let limit = s.upload_limit_bytes.min(left);
                    let spool_error = |e: SpoolError| match e {
                        SpoolError::TooLarge if limit < s.upload_limit_bytes => AppError::validation(
                            "attachments",
                            app::tickets::conversation::model::over_quota_message(&name, limit),
                        ),
                        SpoolError::TooLarge => {
                            AppError::validation("attachments", too_large_message(&name, limit))
                        }
                        SpoolError::Disk(e) => AppError::internal(e),
                    };
                    let mut spool = Spool::create(state.files.dir(), limit)
                        .await
                        .map_err(spool_error)?;
                    while let Some(chunk) = field.chunk().await.map_err(|e| {
                        AppError::validation(
                            "attachments",
                            format!("“{name}” did not arrive whole: {e}"),
                        )
                    })? {
                        spool.write(&chunk).await.map_err(spool_error)?;
                    }
                    let spooled = spool.finish().await.map_err(spool_error)?;
                    form.files.push(FormFile {
                        spooled,
                        name,
                        content_type,
                    });
                } else if name == "attachment_ids[]" {
                    if form.files.len() + form.uploaded.len() >= MAX_FILES {
                        return Err(AppError::validation(
                            "attachments",
                            format!("Attach at most {MAX_FILES} files at a time."),
                        ));
                    }
                    let text = field.text().await.unwrap_or_default();
                    let id = text.trim().parse::<i64>().map_err(|_| {
                        AppError::validation(
                            "attachments",
                            "One of the attached files is no longer available: remove it and attach it again.",
                        )
                    })?;
                    form.uploaded.push(id);
                } else {
                    if form.fields.len() >= MAX_FIELDS {
                        return Err(AppError::validation(
                            "form",
                            "The form has too many fields.",
                        ));
                    }
                    let mut text = Vec::new();
                    while let Some(chunk) = field.chunk().await.map_err(|e| {
                        AppError::validation("form", format!("The form could not be read: {e}"))
                    })? {
                        text.extend_from_slice(&chunk);
                        if text.len() > MAX_TEXT {
                            return Err(AppError::validation(&name, "This is too long."));
                        }
                    }
                    form.fields
                        .insert(name, String::from_utf8_lossy(&text).into_owned());
                }
            }
            Ok(())
        }
        .await;
    // On error the spooled files go with `form` (dropped here).
    result.map(|()| form)
}

/// The signed-in account as a portal viewer, or where to send the browser instead.
async fn portal_viewer(
    state: &AppState,
    session: &Session,
    back: &str,
) -> Result<Viewer, Response> {
    let to_login = || {
        see_other(&format!(
            "/login?next={}",
            app::ui::encode_query_value(back)
        ))
    };
    match app::auth::session::user_of(session, &state.db, state.settings.session_idle_minutes).await
    {
        Ok(Some(user)) => portal::viewer(&state.db, &user)
            .await
            .map_err(|_| to_login()),
        _ => Err(to_login()),
    }
}

/// Stores the spooled files as pending attachments of `ticket_id` (none: a request
/// not sent yet) by `uploader`.
async fn store_files(
    state: &AppState,
    files: Vec<FormFile>,
    ticket_id: Option<i64>,
    uploader: i64,
) -> Result<Vec<i64>, AppError> {
    let mut ids = Vec::new();
    for f in files {
        let a = files::store_upload(
            &state.db,
            &state.files,
            &f.spooled.path,
            &f.spooled.sha256,
            f.spooled.size as i64,
            ticket_id,
            uploader,
            &f.name,
            &f.content_type,
        )
        .await?;
        files::log_upload(&state.db, uploader, a.size).await?;
        crate::previews::make(state.files.dir(), &f.spooled.sha256, &f.content_type).await;
        ids.push(a.id);
    }
    Ok(ids)
}

/// The customer's public message on a ticket, with the spooled files attached to it.
async fn customer_message(
    state: &AppState,
    viewer: &Viewer,
    customer: i64,
    ticket_id: i64,
    body: &MessageBody,
    files: Vec<FormFile>,
    uploaded: &[i64],
) -> Result<app::tickets::conversation::model::Message, AppError> {
    let mut ids = store_files(state, files, Some(ticket_id), viewer.user_id).await?;
    ids.extend_from_slice(uploaded);
    app::tickets::conversation::store::post_message(
        &state.db,
        &state.outbox,
        ticket_id,
        Writer::Customer {
            user: viewer.user_id,
            customer,
        },
        MessageKind::Reply,
        body,
        &ids,
        &state.settings.site_url,
    )
    .await
}

/// The checked fields of a new request.
struct NewRequest {
    title: TicketTitle,
    description: String,
    priority: Priority,
    team_id: i64,
    /// The company it is for (one of the customer's).
    company_id: Option<i64>,
    /// The names of the files that come with it (sent with the form, or uploaded
    /// before and waiting), for the message that carries them.
    attached: Vec<String>,
}

async fn check_new(state: &AppState, form: &Form, viewer: &Viewer) -> Result<NewRequest, AppError> {
    let uploader = viewer.user_id;
    let title = TicketTitle::parse(form.text("title"))?;
    let description = app::portal::model::request_description(form.text("description"))?;
    let priority = match Priority::parse(form.text("priority")) {
        Ok(p) if p != Priority::Urgent => p,
        _ => {
            return Err(AppError::validation(
                "priority",
                "Choose low, normal or high.",
            ));
        }
    };
    let teams = portal::portal_teams(&state.db).await?;
    let team_id = form
        .text("team")
        .trim()
        .parse::<i64>()
        .ok()
        .filter(|id| teams.iter().any(|t| t.id == *id))
        .or_else(|| (teams.len() == 1).then(|| teams[0].id))
        .ok_or_else(|| AppError::validation("team", "Choose what you need help with."))?;
    let company_id = viewer.request_company(form.text("company"))?;
    let mut attached: Vec<String> = form.files.iter().map(|f| f.name.clone()).collect();
    attached.extend(files::waiting_names(&state.db, uploader, &form.uploaded).await?);
    Ok(NewRequest {
        title,
        description: description.as_str().to_string(),
        priority,
        team_id,
        company_id,
        attached,
    })
}

pub async fn new_ticket(State(state): State<AppState>, session: Session, req: Request) -> Response {
    let viewer = match portal_viewer(&state, &session, "/portal/new").await {
        Ok(v) => v,
        Err(r) => return r,
    };
    let Some(customer) = viewer.active_customer() else {
        // The page says why (email not confirmed, or a staff account).
        return see_other("/portal/new");
    };
    let page = "/portal/new";
    let mut form = match read_form(&state, viewer.user_id, req).await {
        Ok(f) => f,
        Err(e) => return refuse(&session, page, page, &e, None, &NEW_FIELDS).await,
    };
    let new = match check_new(&state, &form, &viewer).await {
        Ok(n) => n,
        Err(e) => {
            return refuse(&session, page, page, &e, Some(&form), &NEW_FIELDS).await;
        }
    };
    // The files sent with the form wait (with no ticket) next to those uploaded
    // before; the ticket, the message carrying them all and the confirmation email
    // are then one transaction.
    let sent = form.files.len();
    let mut ids = match store_files(
        &state,
        std::mem::take(&mut form.files),
        None,
        viewer.user_id,
    )
    .await
    {
        Ok(ids) => ids,
        Err(e) => return refuse(&session, page, page, &e, Some(&form), &NEW_FIELDS).await,
    };
    ids.extend_from_slice(&form.uploaded);
    let files_body = format!("Attached: {}", new.attached.join(", "));
    let mail = |number: i64| {
        portal::confirmation_mail(
            &viewer,
            number,
            new.title.as_str(),
            &state.settings.site_url,
        )
    };
    let created = app::tickets::store::create_portal_request(
        &state.db,
        &state.outbox,
        viewer.user_id,
        app::tickets::store::NewTicket {
            title: &new.title,
            description: &new.description,
            customer_id: Some(customer),
            company_id: new.company_id,
            team_id: new.team_id,
            priority: new.priority,
            assignee_id: None,
            tags: &[],
            due_at: None,
            from_portal: true,
        },
        app::tickets::store::RequestExtras {
            files: &ids,
            files_body: &files_body,
            mail_to: &viewer.email,
            mail: &mail,
        },
    )
    .await;
    let ticket = match created {
        Ok(t) => t,
        Err(e) => {
            // What came with this form goes; what was uploaded before still waits.
            for id in &ids[..sent] {
                if let Err(not_removed) =
                    files::discard_pending(&state.db, &state.files, *id, viewer.user_id).await
                {
                    tracing::warn!(error = %not_removed, "a refused request's file was left for the sweep");
                }
            }
            return refuse(&session, page, page, &e, Some(&form), &NEW_FIELDS).await;
        }
    };
    tracing::info!(ticket = ticket.number, "portal ticket submitted");
    see_other(&format!("/portal/tickets/{}?submitted=1", ticket.number))
}

pub async fn reply(
    State(state): State<AppState>,
    session: Session,
    Path(number): Path<String>,
    req: Request,
) -> Response {
    let Ok(number) = number.trim_start_matches('#').parse::<i64>() else {
        return StatusCode::NOT_FOUND.into_response();
    };
    let page = format!("/portal/tickets/{number}");
    let viewer = match portal_viewer(&state, &session, &page).await {
        Ok(v) => v,
        Err(r) => return r,
    };
    // Anyone else's ticket, or none at all: the same 404, and nothing is read.
    let ticket = match portal::ticket(&state.db, &viewer, number).await {
        Ok(Some(t)) => t,
        Ok(None) => return StatusCode::NOT_FOUND.into_response(),
        Err(e) => return (StatusCode::INTERNAL_SERVER_ERROR, e.to_string()).into_response(),
    };
    let Some(customer) = viewer.active_customer() else {
        return StatusCode::NOT_FOUND.into_response();
    };
    let endpoint = format!("/portal/tickets/{number}/reply");
    if ticket.closed() {
        let closed = AppError::conflict(
            "body",
            "This ticket is closed: reopen it to reply, or open a new request.",
        );
        return refuse(&session, &page, &endpoint, &closed, None, &[]).await;
    }
    let form = match read_form(&state, viewer.user_id, req).await {
        Ok(f) => f,
        Err(e) => return refuse(&session, &page, &endpoint, &e, None, &[]).await,
    };
    let body = match MessageBody::parse(form.text("body")) {
        Ok(b) => b,
        Err(e) => {
            return refuse(&session, &page, &endpoint, &e, Some(&form), &["body"]).await;
        }
    };
    let typed_body = form.text("body").to_string();
    let posted = async {
        customer_message(
            &state,
            &viewer,
            customer,
            ticket.id,
            &body,
            form.files,
            &form.uploaded,
        )
        .await?;
        portal::wake_if_waiting(&state.db, &viewer, &ticket).await
    }
    .await;
    match posted {
        Ok(()) => see_other(&format!("{page}?sent=1")),
        Err(e) => {
            if let Err(not_kept) =
                app::auth::session::keep_form_in(&session, &endpoint, &[("body", &typed_body)])
                    .await
            {
                tracing::warn!(error = %not_kept, "what was typed in a refused form was not kept");
            }
            see_other(&app::api::refusal_location(&page, &endpoint, &e))
        }
    }
}
