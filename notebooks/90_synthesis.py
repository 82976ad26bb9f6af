# ---
# jupyter:
#   jupytext:
#     formats: ipynb,py:percent
#     notebook_metadata_filter: -jupytext.text_representation.jupytext_version
#     text_representation:
#       extension: .py
#       format_name: percent
#       format_version: '1.3'
#   kernelspec:
#     display_name: brief (project)
#     language: python
#     name: brief
# ---

# %% [markdown]
# ## Key findings
#
# Computed from the four theme sections; each statement cites the passages it rests on.

# %% tags=["parameters"]
# Parameters: the build passes absolute paths; these defaults run the notebook in Jupyter as it stands.
corpus_dir = "../seeds"
codebook_dir = "../codebook"
out_dir = "../.cache/interactive"
cache_dir = "../.cache"
findings_dir = "../reports/findings"  # the theme notebooks' findings (a build passes its own)

# %%
from pipeline import overview, synthesis
from pipeline.analysis import load_findings
from pipeline.render import show
from pipeline.session import start

ctx, citer = start(corpus_dir, codebook_dir, cache_dir)
findings = load_findings(findings_dir, ctx.codebook.theme_ids)
figures = f"{out_dir}/figures"
statements = synthesis.key_findings(findings, overview.paragraphs_by_period(ctx))
show(synthesis.render_key_findings(statements, citer))

# %% [markdown]
# ### Russia and China across the themes

# %%
show(synthesis.balance(findings, citer, figures))
