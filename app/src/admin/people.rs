//! Admin → People: create staff accounts, change roles, deactivate.

use leptos::form::ActionForm;
use leptos::prelude::*;
use leptos::server_fn::ServerFn;
use leptos_meta::Title;

use super::api::{ChangeRole, CreatePerson, Person, SetPersonActive};
use crate::auth::model::{Email, PersonName};
use crate::auth::pages::NewPasswordFields;
use crate::auth::pages::ProtectedWith;
use crate::auth::policy::Access;
use crate::auth::Role;
use crate::teams::pages::AdminNav;
use crate::ui::{Field, FormError};

/// `/admin/people`.
#[component]
pub fn PeoplePage() -> impl IntoView {
    let create = ServerAction::<CreatePerson>::new();

    // Reloaded after a successful change only: a refused one keeps what was typed.
    let saved = RwSignal::new(0u32);
    Effect::new(move |_| {
        let ok = create.value().with(|v| matches!(v, Some(Ok(_))));
        if ok {
            saved.update(|n| *n += 1);
        }
    });
    let people = Resource::new(move || saved.get(), |_| super::api::list_people());
    // The rows' forms are plain forms (no code in the browser): a refusal comes back
    // in the address.
    let (role_error, active_error) = (
        crate::ui::url_error(ChangeRole::PATH),
        crate::ui::url_error(SetPersonActive::PATH),
    );
    let row_error = Signal::derive(move || role_error.get().or_else(|| active_error.get()));
    let render = move |list: Vec<Person>| {
        view! {
            <div class="page-head">
                <h1>"Admin"</h1>
                <AdminNav current="people"/>
            </div>
            <div class="two-col">
                <section class="card" aria-labelledby="people-heading">
                    <h2 id="people-heading">"People"</h2>
                    <div class="form-error" role="alert">
                        {move || row_error.get().map(|e| view! { <p>{e.to_string()}</p> })}
                    </div>
                    <PeopleTable list/>
                </section>
                <CreatePersonForm create/>
            </div>
        }
        .into_any()
    };
    view! {
        <Title text="People · Admin · Grip"/>
        <ProtectedWith access=Access::Admin data=people render/>
    }
}

#[component]
fn PeopleTable(list: Vec<Person>) -> impl IntoView {
    view! {
        <div class="table-wrap">
            <table class="table">
                <caption class="visually-hidden">"Staff accounts"</caption>
                <thead>
                    <tr><th scope="col">"Name"</th><th scope="col">"Email"</th><th scope="col">"Role"</th><th scope="col">"Status"</th></tr>
                </thead>
                <tbody>
                    {list.into_iter().map(|p| {
                        let label_role = format!("Role for {}", p.name);
                        let toggle = if p.active { format!("Deactivate {}", p.name) } else { format!("Reactivate {}", p.name) };
                        let toggle_text = if p.active { "Deactivate" } else { "Reactivate" };
                        view! {
                            <tr class:inactive=!p.active>
                                <th scope="row">{p.name.clone()}</th>
                                <td>{p.email.clone()}</td>
                                <td>
                                    <form method="post" action=ChangeRole::PATH>
                                        <input type="hidden" name="user_id" value=p.id/>
                                        <div class="inline-form">
                                            <select name="role" aria-label=label_role>
                                                {Role::STAFF.into_iter().map(|r| view! {
                                                    <option value=r.as_str() selected=r == p.role>{r.label()}</option>
                                                }).collect_view()}
                                            </select>
                                            <button type="submit" class="button small secondary" aria-label=format!("Save role for {}", p.name)>"Save"</button>
                                        </div>
                                    </form>
                                </td>
                                <td>
                                    <form method="post" action=SetPersonActive::PATH>
                                        <input type="hidden" name="user_id" value=p.id/>
                                        <input type="hidden" name="active" value=(!p.active).to_string()/>
                                        <div class="inline-form">
                                            <span class=if p.active { "badge ok" } else { "badge off" }>
                                                {if p.active { "Active" } else { "Deactivated" }}
                                            </span>
                                            <button type="submit" class="button small secondary" aria-label=toggle>{toggle_text}</button>
                                        </div>
                                    </form>
                                </td>
                            </tr>
                        }
                    }).collect_view()}
                </tbody>
            </table>
        </div>
    }
}

#[component]
fn CreatePersonForm(create: ServerAction<CreatePerson>) -> impl IntoView {
    let value = create.value();
    let (name, email, password, confirm) = (
        RwSignal::new(String::new()),
        RwSignal::new(String::new()),
        RwSignal::new(String::new()),
        RwSignal::new(String::new()),
    );
    // A saved account clears the form for the next one; a failed save keeps it all.
    Effect::new(move |_| {
        if let Some(Ok(_)) = value.get() {
            for s in [name, email, password, confirm] {
                s.set(String::new());
            }
        }
    });
    let server_error = Signal::derive(move || value.get().and_then(|r| r.err()));
    let message_for =
        move |field: &'static str| server_error.get().and_then(|e| e.message_for(field));
    let name_error = Signal::derive(move || {
        message_for("name").or_else(|| {
            let n = name.get();
            (!n.is_empty())
                .then(|| PersonName::parse(&n).err().map(|e| e.to_string()))
                .flatten()
        })
    });
    let email_error = Signal::derive(move || {
        message_for("email").or_else(|| {
            let e = email.get();
            (e.contains('@') && !e.ends_with('@'))
                .then(|| Email::parse(&e).err().map(|e| e.to_string()))
                .flatten()
        })
    });
    let role_error = Signal::derive(move || message_for("role"));
    let saved = move || value.get().and_then(|r| r.ok());
    view! {
        <section class="card" aria-labelledby="create-heading">
            <h2 id="create-heading">"Add a person"</h2>
            <p class="muted">"Create an account for an agent, team lead or admin. Share the first password with them safely."</p>
            <ActionForm action=create>
                <Field label="Name" name="name" autocomplete="off" required=true value=name error=name_error/>
                <Field label="Email" name="email" kind="email" autocomplete="off" required=true value=email error=email_error/>
                <div class="field">
                    <label for="field-role">"Role"</label>
                    <select id="field-role" name="role"
                        aria-invalid=move || if role_error.get().is_some() { "true" } else { "false" }
                        aria-describedby="field-role-error">
                        {Role::STAFF.into_iter().map(|r| view! { <option value=r.as_str()>{r.label()}</option> }).collect_view()}
                    </select>
                    <p class="field-error" id="field-role-error">{move || role_error.get()}</p>
                </div>
                <NewPasswordFields password confirm server_error=server_error/>
                <FormError error=server_error/>
                <p class="form-ok" role="status">{saved}</p>
                <button type="submit" class="button primary" disabled=move || create.pending().get()>
                    {move || if create.pending().get() { "Creating…" } else { "Create account" }}
                </button>
            </ActionForm>
        </section>
    }
}
