"""The Submit tab: a form in front of the one submission pipeline (`leaderboard.submission`).

Sign-in is Hugging Face OAuth (`gr.LoginButton`), offered where it works: on a Space. A
local server has no OAuth; there the operator decides whether anonymous submissions are
accepted (`LEADERBOARD_ALLOW_ANONYMOUS`). The same callback is the `/submit` API endpoint.
"""

from __future__ import annotations

from dataclasses import dataclass

import gradio as gr

from leaderboard.config import Settings
from leaderboard.domain import Precision, WeightType
from leaderboard.submission import Accepted, SubmissionForm, Submitter
from leaderboard.submission.rules import SUBMITTABLE_TYPES
from leaderboard.table import TableLoader
from leaderboard.ui.texts import SUBMIT_GUIDE


@dataclass
class SubmitTab:
    inputs: list  # in the order `submit` takes them
    button: gr.Button
    result: gr.Textbox  # plain text: the message may quote what the author typed


def signed_in_as(profile: gr.OAuthProfile | None) -> str | None:
    return profile.username if profile is not None else None


def make_submit(submitter: Submitter, loader: TableLoader):
    def submit(
        model: object,
        revision: object = "main",
        precision: object = "float16",
        weight_type: object = "Original",
        base_model: object = "",
        model_type: object = "",
        use_chat_template: object = False,
        profile: gr.OAuthProfile | None = None,
    ) -> str:
        """Validate a model and queue it for evaluation. Returns one line: `✅ ...` when it
        is queued, `❌ ...` with the reason when it is refused (nothing is written then).
        model types: pretrained, continuously-pretrained, fine-tuned, chat, merge, multimodal.
        use_chat_template: true or false (the strings "true"/"false" are accepted too)."""
        # The values as sent (the event skips Gradio's preprocessing, which would turn any
        # JSON into text): `check_form` checks their types, the same for every door.
        form = SubmissionForm(
            model=model,
            revision=revision,
            precision=precision,
            weight_type=weight_type,
            base_model=base_model,
            model_type=model_type,
            use_chat_template=use_chat_template,
        )
        outcome = submitter.submit(form, sender=signed_in_as(profile))
        if isinstance(outcome, Accepted):
            loader.apply(requests=[outcome.stored])  # the queue view shows it at once
            return f"✅ {outcome.message}"
        return f"❌ {outcome.message}"

    return submit


def build_submit_tab(settings: Settings, submitter: Submitter, loader: TableLoader) -> SubmitTab:
    """Lay out the tab (inside an open `gr.Tab`) and wire the `/submit` endpoint."""
    gr.Markdown(SUBMIT_GUIDE)
    if settings.on_space:
        gr.LoginButton()
    elif settings.anonymous_submissions:
        gr.Markdown("Sign-in is not needed on this server: submissions are sent as `local`.")
    else:
        gr.Markdown(
            "⚠️ This server accepts signed-in submissions only, and sign-in (Hugging Face "
            "OAuth) works only on a Hugging Face Space."
        )
    with gr.Row():
        with gr.Column():
            model = gr.Textbox(label="Model", placeholder="org/model", elem_id="submit-model")
            revision = gr.Textbox(label="Revision", value="main", elem_id="submit-revision")
            model_type = gr.Dropdown(
                choices=[(t.value, t.short) for t in SUBMITTABLE_TYPES],
                value=None,
                allow_custom_value=True,  # so an API call with a typo gets our message
                label="Model type",
                elem_id="submit-model-type",
            )
            use_chat_template = gr.Checkbox(
                label="Use chat template", value=False, elem_id="submit-chat-template"
            )
        with gr.Column():
            precision = gr.Dropdown(
                choices=[p.value for p in Precision.submittable()],
                value=Precision.FLOAT16.value,
                allow_custom_value=True,
                label="Precision",
                elem_id="submit-precision",
            )
            weight_type = gr.Dropdown(
                choices=[w.value for w in WeightType],
                value=WeightType.ORIGINAL.value,
                allow_custom_value=True,
                label="Weight type",
                elem_id="submit-weight-type",
            )
            base_model = gr.Textbox(
                label="Base model (for Delta and Adapter weights)",
                value="",
                placeholder="org/base-model",
                elem_id="submit-base-model",
            )
    button = gr.Button("Submit for evaluation", variant="primary", elem_id="submit-button")
    result = gr.Textbox(label="Result", interactive=False, elem_id="submit-result")
    inputs = [model, revision, precision, weight_type, base_model, model_type, use_chat_template]
    return SubmitTab(inputs, button, result)


def wire_submit(tab: SubmitTab, submitter: Submitter, loader: TableLoader, after: list) -> None:
    """Submit on click (`/submit` for gradio_client), then run the `after` refreshes."""
    event = tab.button.click(
        make_submit(submitter, loader),
        inputs=tab.inputs,
        outputs=tab.result,
        api_name="submit",
        concurrency_limit=4,
        preprocess=False,  # Textbox.preprocess would send `str(value)`: 5 as "5", [] as "[]"
    )
    for refresh, outputs in after:
        event = event.then(
            refresh, outputs=outputs, show_progress="hidden", api_visibility="private"
        )
