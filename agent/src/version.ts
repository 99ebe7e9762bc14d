/** Replaced by agent/release/build-release.mjs in a release package: the version it was built as. */
declare const LOA_AGENT_RELEASE_VERSION: string | undefined;

/** Reported in the online status; keep in step with agent/package.json (a release package bakes in its own). */
export const AGENT_VERSION: string = typeof LOA_AGENT_RELEASE_VERSION === 'string' ? LOA_AGENT_RELEASE_VERSION : '0.1.0';

/** Replaced by agent/build.mjs in the single-file build. */
declare const LOA_AGENT_BUNDLE: boolean | undefined;

/** How this agent was loaded: the single-file build (dist/loa-agent.mjs) or the compiled modules. */
export const AGENT_BUILD: 'bundle' | 'modules' = typeof LOA_AGENT_BUNDLE === 'boolean' && LOA_AGENT_BUNDLE ? 'bundle' : 'modules';
