//! Admin → People: create staff accounts, change roles, deactivate. Rendered on the
//! server as plain forms that post and come back (see `pages::ServerPage`): the page
//! gains nothing from code in the browser, and the WASM bundle has a size budget.

#[cfg(feature = "ssr")]
pub use server::*;

#[cfg(feature = "ssr")]
mod server {
    use leptos::prelude::*;
    use leptos::server_fn::ServerFn;

    use crate::admin::api::{ChangeRole, CreatePerson, Person, SetPersonActive};
    use crate::auth::Role;
    use crate::pages::Rendered;
    use crate::portal::pages::{input, Query};
    use crate::teams::pages::AdminNav;

    /// `/admin/people`: the staff table and the "Add a person" form.
    pub fn people_page(list: Vec<Person>, q: &Query) -> Rendered {
        let row_error = q
            .error_for(ChangeRole::PATH)
            .or_else(|| q.error_for(SetPersonActive::PATH));
        let create_error = q.error_for(CreatePerson::PATH);
        let created = q.get("created").map(str::to_string);
        let message_for = |f: &str| create_error.as_ref().and_then(|e| e.message_for(f));
        let form_message = create_error
            .as_ref()
            .filter(|e| {
                e.field()
                    .is_none_or(|f| !["name", "email", "role", "password", "confirm"].contains(&f))
            })
            .map(|e| e.to_string());
        let typed_role = q.typed("role");
        let html = view! {
            <div class="page-head">
                <h1>"Admin"</h1>
                <AdminNav current="people"/>
            </div>
            <div class="two-col">
                <section class="card" aria-labelledby="people-heading">
                    <h2 id="people-heading">"People"</h2>
                    {row_error.map(|e| view! { <p class="form-error" role="alert">{e.to_string()}</p> })}
                    <PeopleTable list/>
                </section>
                <section class="card" aria-labelledby="create-heading">
                    <h2 id="create-heading">"Add a person"</h2>
                    <p class="muted">"Create an account for an agent, team lead or admin. Share the first password with them safely."</p>
                    <form method="post" action=CreatePerson::PATH>
                        {input("Name", "name", "text", q.typed("name"), message_for("name"), None, true, "off")}
                        {input("Email", "email", "email", q.typed("email"), message_for("email"), None, true, "off")}
                        <div class="field">
                            <label for="field-role">"Role"</label>
                            <select id="field-role" name="role" aria-describedby="field-role-error"
                                aria-invalid=if message_for("role").is_some() { "true" } else { "false" }>
                                {Role::STAFF.into_iter().map(|r| view! {
                                    <option value=r.as_str() selected=typed_role == r.as_str()>{r.label()}</option>
                                }).collect_view()}
                            </select>
                            <p class="field-error" id="field-role-error">{message_for("role")}</p>
                        </div>
                        {input("Password", "password", "password", String::new(), message_for("password"),
                            Some("At least 12 characters. A few unrelated words make a strong password."), true, "new-password")}
                        {input("Confirm password", "confirm", "password", String::new(), message_for("confirm"), None, true, "new-password")}
                        {form_message.map(|m| view! { <p class="form-error" role="alert">{m}</p> })}
                        {created.map(|m| view! { <p class="form-ok" role="status">{m}</p> })}
                        <button type="submit" class="button primary">"Create account"</button>
                    </form>
                </section>
            </div>
        };
        Rendered {
            title: "People · Admin · Grip".into(),
            html: leptos::tachys::view::RenderHtml::to_html(html),
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
}
