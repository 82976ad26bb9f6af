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
# ## CSTO perception
#
# The Collective Security Treaty Organization and Russian-led security guarantees: how the CSTO is perceived, its January 2022 deployment in Kazakhstan, and member states' grievances. The figures, quotes and dates below are computed from the corpus; each citation mark links to the passage it rests on.

# %% tags=["parameters"]
# Parameters: the build passes absolute paths; these defaults run the notebook in Jupyter as it stands.
corpus_dir = "../seeds"
codebook_dir = "../codebook"
out_dir = "../.cache/interactive"
cache_dir = "../.cache"
theme = "csto_perception"
top_evidence = 5
compare = ["kazakhstan", "russia", "armenia", "kyrgyzstan", "tajikistan", "belarus"]  # actor ids from codebook/actors.yaml, compared side by side

# %%
from pipeline import sections
from pipeline.analysis import save_findings, theme_findings
from pipeline.render import show
from pipeline.session import start

ctx, citer = start(corpus_dir, codebook_dir, cache_dir)
findings = theme_findings(ctx, theme)
save_findings(findings, out_dir)
figures = f"{out_dir}/figures"
show(sections.header(findings) + sections.lead(findings, citer))

# %%
show(sections.coverage_chart(findings, figures))

# %% [markdown]
# ### Evidence
#
# The passages that speak most strongly to the theme, strongest first, with the cues that coded them.

# %%
show(sections.evidence(findings, ctx, citer, n=top_evidence))

# %% [markdown]
# ### Figures stated in the sources

# %%
show(sections.figures_table(findings, citer))

# %% [markdown]
# ### Timeline
#
# Dates the sources state in passages on this theme (publication dates are not events).

# %%
show(sections.timeline(findings, ctx, citer, figures))

# %% [markdown]
# ### Actors and voices

# %%
show(sections.actors(findings, citer) + sections.voices(findings, citer))

# %% [markdown]
# ### Framing: Russia and China
#
# How the passages speak of Russia and of China: cooperation and tension cues from the codebook, by period and by source.

# %%
show(sections.framing(findings, citer, figures))

# %% [markdown]
# ### Member states compared
#
# Which CSTO members the passages name, before and from February 2022.

# %%
show(sections.compare(findings, ctx, citer, compare, "Member states named in CSTO passages"))
