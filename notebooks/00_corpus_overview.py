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
# ## The corpus
#
# What the brief is built on: the documents, their publishers and dates, and how much of each speaks to each theme.

# %% tags=["parameters"]
# Parameters: the build passes absolute paths; these defaults run the notebook in Jupyter as it stands.
corpus_dir = "../seeds"
codebook_dir = "../codebook"
out_dir = "../.cache/interactive"
cache_dir = "../.cache"
gold_path = "../eval/seeds.yaml"  # hand labels to score the coding against; "" for none

# %%
from pipeline import overview
from pipeline.render import show
from pipeline.session import start

ctx, citer = start(corpus_dir, codebook_dir, cache_dir)
figures = f"{out_dir}/figures"
show(overview.stats(ctx) + overview.documents_table(ctx, citer))

# %%
show(overview.theme_matrix(ctx, figures) + overview.quality(ctx))

# %% [markdown] tags=["appendix"]
# ## Methods and quality
#
# **Corpus.** Each document is decoded, cleaned and split into paragraphs and sentences. Cleaning follows general rules (page furniture, timestamps, sharing boilerplate, repeated headlines, pull quotes that repeat the body, endnotes); what it removed is listed below. Citations name the source and the paragraph's position in its file.
#
# **Coding.** Each paragraph is scored against the codebook's cues for each theme; a paragraph is coded to a theme when its score passes the codebook's threshold. Every coding decision lists the cues that fired.
#
# **Extraction.** Figures, dated events, actors and attributed statements are extracted by rule from the sentences of coded passages; each keeps the sentence it came from. Every quoted passage is checked at build time to stand verbatim in its source.

# %% tags=["appendix"]
show(overview.codebook_table(ctx))

# %% tags=["appendix"]
show(overview.agreement(ctx, gold_path))

# %% tags=["appendix"]
show(overview.cleaning(ctx))
