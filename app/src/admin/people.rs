//! Admin → People (`/admin/people`): create staff accounts, change roles, deactivate.
//! Each form is an `ActionForm` bound to its server function: with JavaScript the
//! page updates in place; without, the same forms post and come back (a refusal with
//! its message by the field and what was typed, never the passwords).

use leptos::form::ActionForm;
use leptos::prelude::*;
use leptos::server_fn::ServerFn;
use leptos_meta::Title;

use crate::admin::api::{list_people, ChangeRole, CreatePerson, Person, SetPersonActive};
use crate::auth::model::{email_problem, name_problem};
use crate::auth::pages::{NewPasswordFields, ProtectedWith};
use crate::auth::policy::Access;
use crate::auth::Role;
use crate::teams::pages::AdminNav;
use crate::ui::{
    failure, kept_value, live_message, message_at, message_outside, on_success, Field,
};

#[derive(Clone, Copy)]
struct PeopleActions {
    create: ServerAction<CreatePerson>,
    role: ServerAction<ChangeRole>,
    active: ServerAction<SetPersonActive>,
}

#[component]
pub fn PeoplePage() -> impl IntoView {
    let actions = PeopleActions {
        create: ServerAction::new(),
        role: ServerAction::new(),
        active: ServerAction::new(),
    };
    // Reloaded after each change that went through.
    let changed = RwSignal::new(0u32);
    on_success(actions.create.value(), move |_| changed.update(|n| *n += 1));
    on_success(actions.role.value(), move |_| changed.update(|n| *n += 1));
    on_success(actions.active.value(), move |_| changed.update(|n| *n += 1));
    let data = Resource::new(move || changed.get(), |_| list_people());
    view! {
        <Title text="People · Admin · Grip"/>
        <ProtectedWith access=Access::Admin data
            render={move |list: Vec<Person>| view! { <PeopleView list actions/> }.into_any()}/>
    }
}

/// "Bo can now sign in as Agent.": the note a creation leaves in the address it
/// answers with (`/admin/people?created=…`), read from the page's address without
/// JavaScript and from the answer with it.
fn created_note(actions: PeopleActions) -> impl Fn() -> Option<String> {
    let query = leptos_router::hooks::use_query_map();
    move || {
        let from_answer = actions.create.value().with(|v| match v {
            Some(Ok(path)) => path.split_once('?').and_then(|(_, q)| {
                crate::tickets::filter::parse_query(q)
                    .into_iter()
                    .find(|(k, _)| k == "created")
                    .map(|(_, v)| v)
            }),
            _ => None,
        });
        from_answer.or_else(|| query.with(|q| q.get("created")))
    }
}

#[component]
fn PeopleView(list: Vec<Person>, actions: PeopleActions) -> impl IntoView {
    let path = CreatePerson::PATH;
    let row_error = {
        let (role, active) = (
            failure(actions.role.value()),
            failure(actions.active.value()),
        );
        Signal::derive(move || role.get().or(active.get()))
    };
    let create_error = failure(actions.create.value());
    let name = RwSignal::new(kept_value(path, "name").unwrap_or_default());
    let email = RwSignal::new(kept_value(path, "email").unwrap_or_default());
    let typed_role = kept_value(path, "role").unwrap_or_default();
    let (password, confirm) = (RwSignal::new(String::new()), RwSignal::new(String::new()));
    // Checked as typed, with the rules the server applies.
    let name_error = live_message(create_error, "name", name, name_problem);
    let email_error = live_message(create_error, "email", email, email_problem);
    let role_error = message_at(create_error, "role");
    let form_message = message_outside(
        create_error,
        &["name", "email", "role", "password", "confirm"],
    );
    let created = created_note(actions);
    view! {
        <div class="page-head">
            <h1>"Admin"</h1>
            <AdminNav current="people"/>
        </div>
        <div class="two-col">
            <section class="card" aria-labelledby="people-heading">
                <h2 id="people-heading">"People"</h2>
                <p class="form-error" role="alert">{move || row_error.get().map(|e| e.to_string())}</p>
                <PeopleTable list actions/>
            </section>
            <section class="card" aria-labelledby="create-heading">
                <h2 id="create-heading">"Add a person"</h2>
                <p class="muted">"Create an account for an agent, team lead or admin. Share the first password with them safely."</p>
                <ActionForm action=actions.create>
                    <Field label="Name" name="name" required=true value=name error=name_error/>
                    <Field label="Email" name="email" kind="email" required=true value=email error=email_error/>
                    <div class="field" class:has-error=move || role_error.get().is_some()>
                        <label for="field-role">"Role"</label>
                        <select id="field-role" name="role" aria-describedby="field-role-error"
                            aria-invalid=move || if role_error.get().is_some() { "true" } else { "false" }>
                            {Role::STAFF.into_iter().map(|r| view! {
                                <option value=r.as_str() selected=typed_role == r.as_str()>{r.label()}</option>
                            }).collect_view()}
                        </select>
                        <p class="field-error" id="field-role-error">{role_error}</p>
                    </div>
                    <NewPasswordFields password confirm server_error=create_error/>
                    <p class="form-error" role="alert">{form_message}</p>
                    <p class="form-ok" role="status">{created}</p>
                    <button type="submit" class="button primary" disabled=move || actions.create.pending().get()>
                        {move || if actions.create.pending().get() { "Creating…" } else { "Create account" }}
                    </button>
                </ActionForm>
            </section>
        </div>
    }
}

#[component]
fn PeopleTable(list: Vec<Person>, actions: PeopleActions) -> impl IntoView {
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
                                    <ActionForm action=actions.role>
                                        <input type="hidden" name="user_id" value=p.id/>
                                        <div class="inline-form">
                                            <select name="role" aria-label=label_role>
                                                {Role::STAFF.into_iter().map(|r| view! {
                                                    <option value=r.as_str() selected=r == p.role>{r.label()}</option>
                                                }).collect_view()}
                                            </select>
                                            <button type="submit" class="button small secondary" aria-label=format!("Save role for {}", p.name)>"Save"</button>
                                        </div>
                                    </ActionForm>
                                </td>
                                <td>
                                    <ActionForm action=actions.active>
                                        <input type="hidden" name="user_id" value=p.id/>
                                        <input type="hidden" name="active" value=(!p.active).to_string()/>
                                        <div class="inline-form">
                                            <span class=if p.active { "badge ok" } else { "badge off" }>
                                                {if p.active { "Active" } else { "Deactivated" }}
                                            </span>
                                            <button type="submit" class="button small secondary" aria-label=toggle>{toggle_text}</button>
                                        </div>
                                    </ActionForm>
                                </td>
                            </tr>
                        }
                    }).collect_view()}
                </tbody>
            </table>
        </div>
    }
}
