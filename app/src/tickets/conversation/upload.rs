//! Files chosen or dropped on a form, uploaded one request each with a progress bar
//! before the form is sent, which then carries their ids (`attachment_ids[]`): the
//! one upload component of the staff composer and the portal's forms (a reply, a
//! new request). Only the browser uploads (`hydrate`); the server renders no tray,
//! and a page without JavaScript sends its files with the form where it can (the
//! portal) or not at all (the composer).

use leptos::prelude::*;

use super::model::{human_size, too_large_message, Attachment};

#[derive(Debug, Clone, PartialEq)]
pub enum UploadState {
    /// Percent sent so far.
    Sending(u8),
    Done(Attachment),
    Failed(String),
}

/// One file of the tray.
#[derive(Debug, Clone)]
pub struct Upload {
    pub key: u32,
    pub name: String,
    pub size: i64,
    pub state: RwSignal<UploadState>,
}

impl Upload {
    pub fn size_text(&self) -> String {
        human_size(self.size)
    }
}

/// The files of a form and what starts their uploads.
#[derive(Clone, Copy)]
pub struct Tray {
    /// The ticket they are for; none for a portal request not sent yet.
    pub ticket_id: Option<i64>,
    pub limit: u64,
    pub uploads: RwSignal<Vec<Upload>>,
    next: StoredValue<u32>,
}

impl Tray {
    pub fn new(ticket_id: Option<i64>, limit: u64) -> Tray {
        Tray {
            ticket_id,
            limit,
            uploads: RwSignal::new(Vec::new()),
            next: StoredValue::new(0),
        }
    }

    /// Ids of the files uploaded and ready to go with the message.
    pub fn ready_ids(&self) -> Vec<i64> {
        self.uploads.with(|u| {
            u.iter()
                .filter_map(|x| match x.state.get() {
                    UploadState::Done(a) => Some(a.id),
                    _ => None,
                })
                .collect()
        })
    }

    pub fn busy(&self) -> bool {
        self.uploads.with(|u| {
            u.iter()
                .any(|x| matches!(x.state.get(), UploadState::Sending(_)))
        })
    }

    pub fn clear(&self) {
        self.uploads.set(Vec::new());
    }

    pub fn remove(&self, key: u32) {
        self.uploads.update(|u| u.retain(|x| x.key != key));
    }

    /// Adds a file and starts sending it; one over the limit is refused at once,
    /// naming the limit (the server refuses it too).
    pub fn add(&self, name: String, size: i64, #[allow(unused)] file: Option<web_sys::File>) {
        let key = self.next.get_value();
        self.next.set_value(key + 1);
        let state = if size as u64 > self.limit {
            RwSignal::new(UploadState::Failed(too_large_message(&name, self.limit)))
        } else {
            RwSignal::new(UploadState::Sending(0))
        };
        let sending = matches!(state.get_untracked(), UploadState::Sending(_));
        self.uploads.update(|u| {
            u.push(Upload {
                key,
                name: name.clone(),
                size,
                state,
            })
        });
        #[cfg(feature = "hydrate")]
        if sending {
            if let Some(file) = file {
                send(self.ticket_id, file, state);
            }
        }
        #[cfg(not(feature = "hydrate"))]
        let _ = sending;
    }
}

/// Sends one file with `XMLHttpRequest` (fetch reports no upload progress).
#[cfg(feature = "hydrate")]
fn send(ticket_id: Option<i64>, file: web_sys::File, state: RwSignal<UploadState>) {
    use wasm_bindgen::closure::Closure;
    use wasm_bindgen::JsCast;

    let fail = move |m: &str| state.set(UploadState::Failed(m.to_string()));
    let Ok(xhr) = web_sys::XmlHttpRequest::new() else {
        return fail("This browser cannot upload files.");
    };
    let url = match ticket_id {
        Some(id) => format!("/attachments?ticket={id}"),
        None => "/attachments".to_string(),
    };
    if xhr.open("POST", &url).is_err() {
        return fail("The upload could not start.");
    }
    let name = crate::ui::encode_query_value(&file.name());
    let kind = match file.type_() {
        t if t.is_empty() => "application/octet-stream".to_string(),
        t => t,
    };
    let _ = xhr.set_request_header("X-File-Name", &name);
    let _ = xhr.set_request_header("Content-Type", &kind);

    if let Ok(upload) = xhr.upload() {
        let progress =
            Closure::<dyn FnMut(web_sys::ProgressEvent)>::new(move |e: web_sys::ProgressEvent| {
                if e.length_computable() && e.total() > 0.0 {
                    let pct = ((e.loaded() / e.total()) * 100.0).clamp(0.0, 99.0) as u8;
                    state.set(UploadState::Sending(pct));
                }
            });
        upload.set_onprogress(Some(progress.as_ref().unchecked_ref()));
        progress.forget();
    }
    let done = {
        let xhr = xhr.clone();
        Closure::<dyn FnMut()>::new(move || {
            let status = xhr.status().unwrap_or(0);
            let text = xhr.response_text().ok().flatten().unwrap_or_default();
            if status == 200 {
                match serde_json::from_str::<Attachment>(&text) {
                    Ok(a) => state.set(UploadState::Done(a)),
                    Err(_) => fail("The server's answer was not understood: try again."),
                }
            } else {
                #[derive(serde::Deserialize)]
                struct Refusal {
                    error: String,
                }
                let message = serde_json::from_str::<Refusal>(&text)
                    .map(|r| r.error)
                    .unwrap_or_else(|_| format!("The upload failed ({status}): try again."));
                state.set(UploadState::Failed(message));
            }
        })
    };
    xhr.set_onload(Some(done.as_ref().unchecked_ref()));
    done.forget();
    let broken = Closure::<dyn FnMut()>::new(move || {
        fail("The upload failed: check the connection and try again.")
    });
    xhr.set_onerror(Some(broken.as_ref().unchecked_ref()));
    broken.forget();
    if xhr.send_with_opt_blob(Some(&file)).is_err() {
        fail("The upload could not start.");
    }
}

/// Starts uploads for every file of a file list (picker or drop).
#[cfg(feature = "hydrate")]
pub fn add_files(tray: Tray, files: web_sys::FileList) {
    for i in 0..files.length() {
        if let Some(f) = files.get(i) {
            tray.add(f.name(), f.size() as i64, Some(f));
        }
    }
}

/// The files picked or dropped for the form being written: a progress bar each, a
/// way to remove each, and the ids of the finished ones as form fields. Rendered in
/// the browser only (nothing on the server, so hydration matches): without
/// JavaScript there is no uploading.
#[component]
pub fn FileTray(tray: Tray) -> impl IntoView {
    let hydrated = RwSignal::new(false);
    Effect::new(move |_| hydrated.set(true));
    let on_pick = move |ev: web_sys::Event| {
        #[cfg(feature = "hydrate")]
        {
            use wasm_bindgen::JsCast;
            if let Some(input) = ev
                .target()
                .and_then(|t| t.dyn_into::<web_sys::HtmlInputElement>().ok())
            {
                if let Some(files) = input.files() {
                    add_files(tray, files);
                }
                input.set_value("");
            }
        }
        #[cfg(not(feature = "hydrate"))]
        let _ = ev;
    };

    move || {
        hydrated.get().then(|| {
            view! {
                <div class="attach">
                    <label class="button secondary small attach-button">
                        "Attach files"
                        <input type="file" multiple class="visually-hidden" on:change=on_pick/>
                    </label>
                    <span class="hint">"or drop files here · up to "{tray.limit / (1024 * 1024)}" MB each"</span>
                    <ul class="uploads" aria-label="Attached files">
                        <For each=move || tray.uploads.get() key=|u| u.key let:u>
                            {
                                let name = u.name.clone();
                                let size = u.size_text();
                                let state = u.state;
                                let key = u.key;
                                let remove_label = format!("Remove {name}");
                                let progress_label = format!("Uploading {name}");
                                view! {
                                    <li class="upload" class:failed=move || matches!(state.get(), UploadState::Failed(_))>
                                        <span class="file-name">{name.clone()}</span>
                                        <span class="muted">{size}</span>
                                        {move || match state.get() {
                                            UploadState::Sending(pct) => view! {
                                                <progress max="100" value=pct aria-label=progress_label.clone()></progress>
                                            }.into_any(),
                                            UploadState::Done(a) => view! {
                                                <span class="upload-ok">"Ready"</span>
                                                <input type="hidden" name="attachment_ids[]" value=a.id/>
                                            }.into_any(),
                                            UploadState::Failed(m) => view! {
                                                <span class="field-error" role="alert">{m}</span>
                                            }.into_any(),
                                        }}
                                        <button type="button" class="button link" aria-label=remove_label
                                            on:click=move |_| {
                                                if let UploadState::Done(a) = state.get_untracked() {
                                                    let id = a.id;
                                                    leptos::task::spawn_local(async move {
                                                        let _ = super::api::discard_upload(id).await;
                                                    });
                                                }
                                                tray.remove(key);
                                            }>"Remove"</button>
                                    </li>
                                }
                            }
                        </For>
                    </ul>
                </div>
            }
        })
    }
}
