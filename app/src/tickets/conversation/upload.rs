//! Files chosen or dropped on the composer, uploaded one request each with a progress
//! bar, before the message is sent. Only the browser uploads (`hydrate`); the server
//! renders no file controls, since a page without JavaScript cannot use them.

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

/// The files of the composer and what starts their uploads.
#[derive(Clone, Copy)]
pub struct Tray {
    pub ticket_id: i64,
    pub limit: u64,
    pub uploads: RwSignal<Vec<Upload>>,
    next: StoredValue<u32>,
}

impl Tray {
    pub fn new(ticket_id: i64, limit: u64) -> Tray {
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
fn send(ticket_id: i64, file: web_sys::File, state: RwSignal<UploadState>) {
    use wasm_bindgen::closure::Closure;
    use wasm_bindgen::JsCast;

    let fail = move |m: &str| state.set(UploadState::Failed(m.to_string()));
    let Ok(xhr) = web_sys::XmlHttpRequest::new() else {
        return fail("This browser cannot upload files.");
    };
    if xhr
        .open("POST", &format!("/attachments?ticket={ticket_id}"))
        .is_err()
    {
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
