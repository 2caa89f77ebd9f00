import { existsSync, mkdirSync, renameSync, rmSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import * as cdk from 'aws-cdk-lib';
import { ElasticCiStack } from './elastic-ci-stack';
import type { ElasticCiStackProps } from './elastic-ci-stack-props';

/** Stack name when no config names one. */
export const DEFAULT_STACK_NAME = 'elastic-ci';

/**
 * Props of `make synth` without CONFIG: the documented defaults, plus the one choice a template cannot default —
 * the agent token, which the template then asks for at deploy time (NoEcho parameter `BuildkiteAgentToken`).
 */
export const DEFAULT_APP_PROPS: ElasticCiStackProps = { agentTokenFromDeployParameter: true };

/** What a config file describes: the stack's name and its props. */
export interface LoadedStackConfig {
  readonly stackName: string;
  readonly props: ElasticCiStackProps;
}

export interface SynthesizeAppOptions {
  /** Typed config (JSON/YAML) or a Buildkite parameter file; none = {@link DEFAULT_APP_PROPS}. */
  readonly configPath?: string | undefined;
  /** Parent of the cloud assemblies: each stack gets `<outRoot>/<stack name>/`. */
  readonly outRoot: string;
  /** Reads a config file (`loadStackConfig`). */
  readonly loadConfig: (path: string) => Promise<LoadedStackConfig> | LoadedStackConfig;
}

export interface SynthesizedApp {
  readonly stackName: string;
  /** The cloud assembly: template, `*.assets.json`, staged Lambda assets. */
  readonly assemblyDirectory: string;
  readonly templatePath: string;
  readonly assetManifestPath: string;
}

/**
 * Builds one stack from a config file and writes its cloud assembly. Synthesizes into a scratch directory and
 * moves it into place only when everything succeeded, so a bad config leaves no template behind (a stale one from
 * an earlier run is removed first, so no template of other options can be mistaken for this run's).
 */
export async function synthesizeApp(options: SynthesizeAppOptions): Promise<SynthesizedApp> {
  const loaded =
    options.configPath === undefined
      ? { stackName: DEFAULT_STACK_NAME, props: DEFAULT_APP_PROPS }
      : await options.loadConfig(options.configPath);
  const outRoot = resolve(options.outRoot);
  const assemblyDirectory = join(outRoot, loaded.stackName);
  rmSync(assemblyDirectory, { recursive: true, force: true });
  const scratch = join(outRoot, `.${loaded.stackName}.partial-${process.pid}`);
  rmSync(scratch, { recursive: true, force: true });
  mkdirSync(dirname(scratch), { recursive: true });
  try {
    const app = new cdk.App({
      outdir: scratch,
      // Reproducible templates: no CDK version metadata resource, no construct tree file.
      analyticsReporting: false,
      treeMetadata: false,
      // CDK's built-in template check (a WebAssembly cfn-lint, about half the synth time) is skipped: `make test`
      // runs the real cfn-lint on the default, a maximal and a Buildkite-parameter-file template instead.
      builtinCloudFormationValidation: false,
    });
    const stack = new ElasticCiStack(app, loaded.stackName, loaded.props);
    app.synth();
    renameSync(scratch, assemblyDirectory);
    const templatePath = join(assemblyDirectory, stack.templateFile);
    if (!existsSync(templatePath)) throw new Error(`synth wrote no ${stack.templateFile}`);
    return {
      stackName: stack.stackName,
      assemblyDirectory,
      templatePath,
      assetManifestPath: join(assemblyDirectory, `${stack.artifactId}.assets.json`),
    };
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
}
