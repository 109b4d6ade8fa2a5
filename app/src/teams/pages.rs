//! Admin → Teams (`/admin/teams`) and Team settings (`/team`).

use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_query_map;

use crate::auth::pages::ProtectedWith;
use crate::auth::policy::Access;
use crate::error::AppError;

#[cfg(feature = "ssr")]
use super::api::{
    list_teams, team_settings, AddStage, CreateTeam, MoveStage, RemoveStage, RenameTeam,
    SetTeamArchived, SetTeamMember, SetTeamPortal, StageSettings, TeamAdmin, TeamPipeline,
    TeamsOverview, UpdateStage,
};
#[cfg(feature = "ssr")]
use crate::tickets::canned::{CannedReply, CreateCanned, DeleteCanned, UpdateCanned, PLACEHOLDERS};
#[cfg(feature = "ssr")]
use crate::tickets::model::StageKind;
#[cfg(feature = "ssr")]
use crate::ui::FormError;

#[cfg(feature = "ssr")]
/// The newest error of any of a page's actions.
fn first_error(errors: &[Signal<Option<AppError>>]) -> Option<AppError> {
    errors.iter().find_map(|e| e.get())
}

/// The error a plain form post to `path` came back with (in the page's address).
#[cfg(feature = "ssr")]
fn error_of(path: &'static str) -> Signal<Option<AppError>> {
    let failed = crate::tickets::side::form_error_in_request()
        .filter(|(p, _)| p == path)
        .map(|(_, e)| e);
    Signal::stored(failed)
}

#[component]
pub fn AdminNav(current: &'static str) -> impl IntoView {
    let here = move |p: &str| (p == current).then_some("page");
    view! {
        <nav class="subnav" aria-label="Admin sections">
            <a href="/admin/people" aria-current=here("people")>"People"</a>
            <a href="/admin/teams" aria-current=here("teams")>"Teams"</a>
            <a href="/admin/customers" aria-current=here("customers")>"Customers"</a>
            <a href="/admin/outbox" aria-current=here("outbox")>"Outbox"</a>
        </nav>
    }
}

/// `/admin/teams`. Rendered on the server as one fragment of plain forms that post
/// and come back (see `teams_page_html`): these pages run no code in the browser,
/// which keeps the WASM bundle inside its budget.
#[component]
pub fn TeamsPage() -> impl IntoView {
    let data = Resource::new(|| (), |_| teams_page_html());
    view! {
        <Title text="Teams · Admin · Grip"/>
        <ProtectedWith access=Access::Admin data
            render=move |html: String| view! { <div class="fragment" inner_html=html></div> }.into_any()/>
    }
}

/// Admin → Teams as HTML (admins only).
#[server(prefix = "/api", endpoint = "admin/teams/page")]
pub async fn teams_page_html() -> Result<String, AppError> {
    use leptos::server_fn::ServerFn;
    use leptos::tachys::view::RenderHtml;
    let overview = list_teams().await?;
    let actions = TeamActions {
        create: CreateTeam::PATH,
        rename: RenameTeam::PATH,
        archive: SetTeamArchived::PATH,
        member: SetTeamMember::PATH,
    };
    Ok(view! { <TeamsView overview actions/> }.to_html())
}

#[cfg(feature = "ssr")]
#[derive(Clone, Copy)]
struct TeamActions {
    create: &'static str,
    rename: &'static str,
    archive: &'static str,
    member: &'static str,
}

#[cfg(feature = "ssr")]
#[component]
fn TeamsView(overview: TeamsOverview, actions: TeamActions) -> impl IntoView {
    let errors = [
        error_of(actions.rename),
        error_of(actions.archive),
        error_of(actions.member),
    ];
    let row_error = Signal::derive(move || first_error(&errors));
    let create_error = error_of(actions.create);
    let name_error = move || create_error.get().and_then(|e| e.message_for("name"));
    let TeamsOverview { teams, staff } = overview;
    view! {
        <div class="page-head">
            <h1>"Admin"</h1>
            <AdminNav current="teams"/>
        </div>
        <FormError error=row_error/>
        {move || row_error.get().and_then(|e| e.message_for("name")).map(|m| view! { <p class="form-error" role="alert">{m}</p> })}
        <div class="two-col">
            <div class="team-list">
                {teams.into_iter().map(|t| view! { <TeamCard team=t staff=staff.clone() actions/> }).collect_view()}
            </div>
            <section class="card" aria-labelledby="create-team-heading">
                <h2 id="create-team-heading">"Create a team"</h2>
                <p class="muted">"A new team starts with the stages New, In Progress, Waiting and Completed."</p>
                <form method="post" action=actions.create>
                    <div class="field" class:has-error=move || name_error().is_some()>
                        <label for="new-team-name">"Team name"</label>
                        <input id="new-team-name" name="name" required=true maxlength="60"
                            aria-describedby="new-team-name-error"/>
                        <p class="field-error" id="new-team-name-error">{name_error}</p>
                    </div>
                    <FormError error=create_error/>
                    <button type="submit" class="button primary">"Create team"</button>
                </form>
            </section>
        </div>
    }
}

#[cfg(feature = "ssr")]
#[component]
fn TeamCard(
    team: TeamAdmin,
    staff: Vec<super::api::TeamMember>,
    actions: TeamActions,
) -> impl IntoView {
    let TeamAdmin {
        id,
        name,
        archived,
        members,
        accepts_portal,
    } = team;
    let heading = format!("team-{id}");
    let labelled = heading.clone();
    let outside: Vec<_> = staff
        .into_iter()
        .filter(|s| !members.iter().any(|m| m.id == s.id))
        .collect();
    let rename_label = format!("New name for {name}");
    let rename_button = format!("Rename {name}");
    let add_select = format!("Person to add to {name}");
    let add_button = format!("Add to {name}");
    let archive_text = if archived {
        format!("Restore {name}")
    } else {
        format!("Archive {name}")
    };
    let no_members = members.is_empty();
    let portal_action = <SetTeamPortal as leptos::server_fn::ServerFn>::PATH;
    let member_items = members
        .into_iter()
        .map(|m| {
            let label = format!("Remove {} from {}", m.name, name);
            view! {
                <li>
                    <span>{m.name}" "<span class="badge">{m.role.label()}</span></span>
                    <form method="post" action=actions.member>
                        <input type="hidden" name="team_id" value=id/>
                        <input type="hidden" name="user_id" value=m.id/>
                        <input type="hidden" name="add" value="false"/>
                        <button type="submit" class="button small secondary" aria-label=label>"Remove"</button>
                    </form>
                </li>
            }
        })
        .collect_view();
    let add_form = (!outside.is_empty()).then(move || {
        view! {
            <form method="post" action=actions.member>
                <input type="hidden" name="team_id" value=id/>
                <input type="hidden" name="add" value="true"/>
                <div class="inline-form">
                    <select name="user_id" aria-label=add_select>
                        {outside.into_iter().map(|s| view! { <option value=s.id>{format!("{} ({})", s.name, s.role.label())}</option> }).collect_view()}
                    </select>
                    <button type="submit" class="button small secondary" aria-label=add_button>"Add"</button>
                </div>
            </form>
        }
    });
    view! {
        <section class="card team-card" class:archived=archived aria-labelledby=labelled>
            <h2 id=heading>
                {name.clone()}
                {archived.then(|| view! { " "<span class="badge off">"Archived"</span> })}
            </h2>
            <form method="post" action=actions.rename>
                <input type="hidden" name="team_id" value=id/>
                <div class="inline-form">
                    <input name="name" value=name aria-label=rename_label maxlength="60" required=true/>
                    <button type="submit" class="button small secondary" aria-label=rename_button>"Rename"</button>
                </div>
            </form>
            <h3>"Members"</h3>
            <ul class="member-list">
                {member_items}
                {no_members.then(|| view! { <li class="muted">"No members yet."</li> })}
            </ul>
            {add_form}
            <form method="post" action=portal_action class="inline-form">
                <input type="hidden" name="team_id" value=id/>
                <input type="hidden" name="accepts" value=(!accepts_portal).to_string()/>
                <span class="muted">{if accepts_portal { "Customers can ask this team in the portal." } else { "Not offered in the portal." }}</span>
                <button type="submit" class="button small secondary">
                    {if accepts_portal { "Stop portal requests" } else { "Take portal requests" }}
                </button>
            </form>
            <form method="post" action=actions.archive>
                <input type="hidden" name="team_id" value=id/>
                <input type="hidden" name="archived" value=(!archived).to_string()/>
                <button type="submit" class="button small secondary">{archive_text}</button>
            </form>
        </section>
    }
}

/// `/team`: a lead's pipeline and canned replies, rendered on the server like
/// Admin → Teams.
#[component]
pub fn TeamSettingsPage() -> impl IntoView {
    let query = use_query_map();
    let team = move || query.read().get("team").and_then(|t| t.parse::<i64>().ok());
    let data = Resource::new(team, team_settings_html);
    view! {
        <Title text="Team settings · Grip"/>
        <ProtectedWith access=Access::Lead data
            render=move |html: String| view! { <div class="fragment" inner_html=html></div> }.into_any()/>
    }
}

/// Team settings as HTML (leads of the team, and admins).
#[server(prefix = "/api", endpoint = "team/page")]
pub async fn team_settings_html(team: Option<i64>) -> Result<String, AppError> {
    use leptos::server_fn::ServerFn;
    use leptos::tachys::view::RenderHtml;
    let settings = team_settings(team).await?;
    let actions = StageActions {
        add: AddStage::PATH,
        update: UpdateStage::PATH,
        moved: MoveStage::PATH,
        remove: RemoveStage::PATH,
    };
    let canned = CannedActions {
        create: CreateCanned::PATH,
        update: UpdateCanned::PATH,
        delete: DeleteCanned::PATH,
    };
    Ok(view! { <SettingsView settings actions canned/> }.to_html())
}

#[cfg(feature = "ssr")]
#[derive(Clone, Copy)]
struct StageActions {
    add: &'static str,
    update: &'static str,
    moved: &'static str,
    remove: &'static str,
}

#[cfg(feature = "ssr")]
#[component]
fn SettingsView(
    settings: TeamPipeline,
    actions: StageActions,
    canned: CannedActions,
) -> impl IntoView {
    let TeamPipeline {
        team,
        teams,
        stages,
        canned: replies,
    } = settings;
    let errors = [
        error_of(actions.update),
        error_of(actions.moved),
        error_of(actions.remove),
    ];
    let row_error = Signal::derive(move || first_error(&errors));
    let row_message = move || {
        row_error
            .get()
            .and_then(|e| e.field().is_some().then(|| e.to_string()))
    };
    let add_error = error_of(actions.add);
    let add_message = move |f: &'static str| add_error.get().and_then(|e| e.message_for(f));
    let all: Vec<(i64, String)> = stages
        .iter()
        .map(|s| (s.stage.id, s.stage.name.clone()))
        .collect();
    let count = stages.len();
    view! {
        <div class="page-head">
            <h1>"Team settings"</h1>
            <nav class="subnav" aria-label="Teams">
                {teams.into_iter().map(|t| {
                    let current = t.id == team.id;
                    view! { <a href=format!("/team?team={}", t.id) aria-current=current.then_some("page")>{t.name}</a> }
                }).collect_view()}
            </nav>
        </div>
        <div class="two-col">
            <section class="card" aria-labelledby="stages-heading">
                <h2 id="stages-heading">{format!("{} pipeline", team.name)}</h2>
                <p class="muted">"Stages in board order. A done stage completes the tickets that enter it. The last box is what customers see the stage called in the portal (empty: its name), e.g. “We’re on it”."</p>
                <div class="form-error" role="alert">{row_message}</div>
                <FormError error=row_error/>
                <ol class="stage-list">
                    {stages.into_iter().enumerate().map(|(i, s)| view! {
                        <StageRow item=s first=i == 0 last=i + 1 == count others=all.clone() actions/>
                    }).collect_view()}
                </ol>
            </section>
            <section class="card" aria-labelledby="add-stage-heading">
                <h2 id="add-stage-heading">"Add a stage"</h2>
                <form method="post" action=actions.add>
                    <input type="hidden" name="team_id" value=team.id/>
                    <div class="field">
                        <label for="stage-name">"Stage name"</label>
                        <input id="stage-name" name="name" required=true maxlength="60" aria-describedby="stage-name-error"/>
                        <p class="field-error" id="stage-name-error">{move || add_message("name")}</p>
                    </div>
                    <div class="field-row">
                        <div class="field">
                            <label for="stage-kind">"Kind"</label>
                            <select id="stage-kind" name="kind">
                                <option value="open">"Open"</option>
                                <option value="waiting">"Waiting"</option>
                                <option value="done">"Done"</option>
                            </select>
                        </div>
                        <div class="field">
                            <label for="stage-wip">"WIP limit"</label>
                            <input id="stage-wip" name="wip_limit" inputmode="numeric" aria-describedby="stage-wip-error"/>
                            <p class="field-error" id="stage-wip-error">{move || add_message("wip_limit")}</p>
                        </div>
                    </div>
                    <FormError error=add_error/>
                    <button type="submit" class="button primary">"Add stage"</button>
                </form>
            </section>
        </div>
        <CannedSettings team=team.id replies actions=canned/>
    }
}

#[cfg(feature = "ssr")]
#[derive(Clone, Copy)]
struct CannedActions {
    create: &'static str,
    update: &'static str,
    delete: &'static str,
}

/// The team's canned replies: add, edit, remove.
#[cfg(feature = "ssr")]
#[component]
fn CannedSettings(team: i64, replies: Vec<CannedReply>, actions: CannedActions) -> impl IntoView {
    let create_error = error_of(actions.create);
    let row_error = Signal::derive({
        let errors = [error_of(actions.update), error_of(actions.delete)];
        move || first_error(&errors)
    });
    let create_message = move |f: &'static str| create_error.get().and_then(|e| e.message_for(f));
    let help = format!("Placeholders: {}.", PLACEHOLDERS.join(", "));
    let empty = replies.is_empty();
    view! {
        <div class="two-col canned-settings">
            <section class="card" aria-labelledby="canned-heading">
                <h2 id="canned-heading">"Canned replies"</h2>
                <p class="muted">"Agents insert these in a reply with “/” or the Canned reply menu."</p>
                <div class="form-error" role="alert">{move || row_error.get().and_then(|e| e.field().is_some().then(|| e.to_string()))}</div>
                <FormError error=row_error/>
                {empty.then(|| view! { <p class="muted">"None yet."</p> })}
                <ul class="canned-list">
                    {replies.into_iter().map(|r| {
                        let title_id = format!("canned-title-{}", r.id);
                        let body_id = format!("canned-body-{}", r.id);
                        let region = format!("Canned reply {}", r.title);
                        let delete_label = format!("Delete {}", r.title);
                        view! {
                            <li class="canned-item" role="group" aria-label=region>
                                <form method="post" action=actions.update>
                                    <input type="hidden" name="id" value=r.id/>
                                    <div class="field">
                                        <label for=title_id.clone()>"Title"</label>
                                        <input id=title_id name="title" value=r.title.clone() required=true maxlength="100"/>
                                    </div>
                                    <div class="field">
                                        <label for=body_id.clone()>"Text"</label>
                                        <textarea id=body_id name="body" rows="4">{r.body.clone()}</textarea>
                                    </div>
                                    <button type="submit" class="button secondary small">"Save"</button>
                                </form>
                                <form method="post" action=actions.delete class="inline-form">
                                    <input type="hidden" name="id" value=r.id/>
                                    <button type="submit" class="button danger small" aria-label=delete_label>"Delete"</button>
                                </form>
                            </li>
                        }
                    }).collect_view()}
                </ul>
            </section>
            <section class="card" aria-labelledby="add-canned-heading">
                <h2 id="add-canned-heading">"Add a canned reply"</h2>
                <form method="post" action=actions.create>
                    <input type="hidden" name="team" value=team/>
                    <div class="field">
                        <label for="canned-title">"Title"</label>
                        <input id="canned-title" name="title" required=true maxlength="100" aria-describedby="canned-title-error"/>
                        <p class="field-error" id="canned-title-error">{move || create_message("title")}</p>
                    </div>
                    <div class="field">
                        <label for="canned-body">"Text"</label>
                        <p class="hint" id="canned-body-hint">{help}</p>
                        <textarea id="canned-body" name="body" rows="6" aria-describedby="canned-body-hint canned-body-error"></textarea>
                        <p class="field-error" id="canned-body-error">{move || create_message("body")}</p>
                    </div>
                    <FormError error=create_error/>
                    <button type="submit" class="button primary">"Add canned reply"</button>
                </form>
            </section>
        </div>
    }
}

#[cfg(feature = "ssr")]
#[component]
fn StageRow(
    item: StageSettings,
    first: bool,
    last: bool,
    others: Vec<(i64, String)>,
    actions: StageActions,
) -> impl IntoView {
    let StageSettings {
        stage,
        tickets,
        customer_label,
    } = item;
    let name = stage.name.clone();
    let id = stage.id;
    let kinds = [StageKind::Open, StageKind::Waiting, StageKind::Done];
    let name_label = format!("Name of stage {name}");
    let kind_label = format!("Kind of stage {name}");
    let wip_label = format!("WIP limit of stage {name}");
    let save_label = format!("Save stage {name}");
    let customer_label_label = format!("What customers see for stage {name}");
    let up_label = format!("Move {name} earlier");
    let down_label = format!("Move {name} later");
    let move_to_label = format!("Where the tickets of {name} go");
    let remove_label = format!("Remove stage {name}");
    view! {
        <li class="stage-row">
            <form method="post" action=actions.update>
                <input type="hidden" name="stage_id" value=id/>
                <div class="inline-form stage-fields">
                    <input name="name" value=stage.name.clone() aria-label=name_label maxlength="60" required=true/>
                    <select name="kind" aria-label=kind_label>
                        {kinds.into_iter().map(|k| view! {
                            <option value=k.as_str() selected=k == stage.kind>{k.as_str()}</option>
                        }).collect_view()}
                    </select>
                    <input name="wip_limit" value=stage.wip_limit.map(|w| w.to_string()).unwrap_or_default()
                        inputmode="numeric" placeholder="No limit" aria-label=wip_label/>
                    <input name="customer_label" value=customer_label.unwrap_or_default() maxlength="60"
                        placeholder=format!("Customers see “{name}”") aria-label=customer_label_label/>
                    <button type="submit" class="button small secondary" aria-label=save_label>"Save"</button>
                </div>
            </form>
            <div class="inline-form stage-tools">
                <span class="muted">{format!("{tickets} tickets")}</span>
                <form method="post" action=actions.moved>
                    <input type="hidden" name="stage_id" value=id/>
                    <input type="hidden" name="direction" value="up"/>
                    <button type="submit" class="button small secondary" disabled=first aria-label=up_label>"↑"</button>
                </form>
                <form method="post" action=actions.moved>
                    <input type="hidden" name="stage_id" value=id/>
                    <input type="hidden" name="direction" value="down"/>
                    <button type="submit" class="button small secondary" disabled=last aria-label=down_label>"↓"</button>
                </form>
                <form method="post" action=actions.remove>
                    <input type="hidden" name="stage_id" value=id/>
                    {(tickets > 0).then(|| view! {
                        <select name="move_to" aria-label=move_to_label>
                            {others.iter().filter(|(o, _)| *o != id).map(|(o, n)| view! {
                                <option value=*o>{format!("Move tickets to {n}")}</option>
                            }).collect_view()}
                        </select>
                    })}
                    <button type="submit" class="button small danger" aria-label=remove_label>"Remove"</button>
                </form>
            </div>
        </li>
    }
}
