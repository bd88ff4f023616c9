"""Turning an Application's sources into desired manifests, as Argo CD's repo server does.

``render(app, repo_root=...)`` is the entry point; renderers (Directory with Jsonnet, Helm,
Kustomize, Plugin, and third-party ones from the ``gitopslib.sources`` entry-point group)
live in a :class:`RendererRegistry`; a :class:`Resolver` maps repository URLs to local
folders or Git repositories; a :class:`RenderCache` makes re-rendering unchanged input cheap.
"""

from __future__ import annotations

from gitopslib.sources._base import (
    DEFAULT_TIMEOUT,
    CommandResult,
    CommandRunner,
    RenderContext,
    Renderer,
    SubprocessRunner,
    app_instance_name,
    build_env,
    confined_path,
    envsubst,
    minimal_env,
)
from gitopslib.sources._helm_secrets import HelmSecrets
from gitopslib.sources._registry import ENTRY_POINT_GROUP, RendererRegistry, default_registry
from gitopslib.sources.cache import RenderCache, SharedStore, cache_key, tree_digest
from gitopslib.sources.detect import detect_source_type, explicit_type
from gitopslib.sources.directory import DirectoryRenderer, glob_match
from gitopslib.sources.helm import HelmRenderer, HelmTemplateError
from gitopslib.sources.rediscache import RedisStore
from gitopslib.sources.render import RenderResult, SourceRender, expand_lists, render
from gitopslib.sources.renderpass import RenderPass
from gitopslib.sources.resolver import AppNode, ResolvedSource, Resolver, render_tree

__all__ = [
    "DEFAULT_TIMEOUT",
    "ENTRY_POINT_GROUP",
    "AppNode",
    "CommandResult",
    "CommandRunner",
    "DirectoryRenderer",
    "HelmRenderer",
    "HelmSecrets",
    "HelmTemplateError",
    "RedisStore",
    "RenderCache",
    "RenderContext",
    "RenderPass",
    "RenderResult",
    "Renderer",
    "RendererRegistry",
    "ResolvedSource",
    "Resolver",
    "SharedStore",
    "SourceRender",
    "SubprocessRunner",
    "app_instance_name",
    "build_env",
    "cache_key",
    "confined_path",
    "default_registry",
    "detect_source_type",
    "envsubst",
    "expand_lists",
    "explicit_type",
    "glob_match",
    "minimal_env",
    "render",
    "render_tree",
    "tree_digest",
]
