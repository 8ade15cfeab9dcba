import {
  ApolloGateway,
  RemoteGraphQLDataSource,
  type GraphQLDataSourceProcessOptions,
} from "@apollo/gateway";
import { ApolloServer } from "@apollo/server";
import { ApolloServerPluginUsageReportingDisabled } from "@apollo/server/plugin/disabled";
import { startStandaloneServer } from "@apollo/server/standalone";
import { compose, type SubgraphDefinition } from "./supergraph.js";

/** One request the gateway sent to a subgraph, and whether the answer carried a federated trace. */
export interface SubgraphCall {
  subgraph: string;
  query: string;
  variables: Record<string, unknown>;
  /** The base64 `extensions.ftv1` of the answer, when there was one. */
  ftv1: string | null;
}

/** A real `@apollo/gateway` in Apollo Server on loopback, over a statically composed supergraph. */
export interface Gateway {
  url: string;
  supergraphSdl: string;
  /** Every subgraph request since the start (clear it with `calls.length = 0`). */
  calls: SubgraphCall[];
  close(): Promise<void>;
}

export interface GatewayOptions {
  /** Headers the gateway adds to each request to a subgraph, e.g. `router-authorization`. */
  subgraphHeaders?: Record<string, string>;
  /**
   * Record a trace of each operation, as usage reporting does when it samples one: the gateway then asks
   * subgraphs for `ftv1` with `apollo-federation-include-trace`.
   */
  captureTraces?: boolean;
}

class RecordingDataSource extends RemoteGraphQLDataSource {
  constructor(
    private readonly subgraph: string,
    url: string,
    private readonly headers: Record<string, string>,
    private readonly calls: SubgraphCall[],
  ) {
    super({ url });
  }

  override willSendRequest({ request }: GraphQLDataSourceProcessOptions): void {
    for (const [name, value] of Object.entries(this.headers)) request.http?.headers.set(name, value);
  }

  override async process(options: GraphQLDataSourceProcessOptions) {
    const response = await super.process(options);
    const ftv1: unknown = response.extensions?.ftv1;
    this.calls.push({
      subgraph: this.subgraph,
      query: options.request.query ?? "",
      variables: options.request.variables ?? {},
      ftv1: typeof ftv1 === "string" ? ftv1 : null,
    });
    return response;
  }
}

/** Compose `subgraphs` and start a gateway over them on `127.0.0.1:0`. */
export async function startGateway(
  subgraphs: SubgraphDefinition[],
  options: GatewayOptions = {},
): Promise<Gateway> {
  const { supergraphSdl } = compose(subgraphs);
  const calls: SubgraphCall[] = [];
  const gateway = new ApolloGateway({
    supergraphSdl,
    buildService: ({ name, url }) =>
      new RecordingDataSource(name, url ?? "", options.subgraphHeaders ?? {}, calls),
  });
  const server = new ApolloServer({
    gateway,
    plugins: [
      ApolloServerPluginUsageReportingDisabled(),
      {
        requestDidStart: ({ metrics }) => {
          metrics.captureTraces = options.captureTraces ?? false;
          return Promise.resolve();
        },
      },
    ],
  });
  const { url } = await startStandaloneServer(server, { listen: { port: 0, host: "127.0.0.1" } });
  return { url, supergraphSdl, calls, close: () => server.stop() };
}
