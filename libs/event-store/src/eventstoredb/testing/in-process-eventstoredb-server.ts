import { Server, ServerCredentials } from '@grpc/grpc-js';
import { ServerFeaturesService, type IServerFeaturesServer } from '@eventstore/db-client/generated/serverfeatures_grpc_pb';
import { SupportedMethod, SupportedMethods } from '@eventstore/db-client/generated/serverfeatures_pb';
import { StreamsService } from '@eventstore/db-client/generated/streams_grpc_pb';
import { EventStoreDbLog } from './eventstoredb-log';
import { streamsService } from './streams-service';

/** The version the server claims; 23.10 is the first that sends the caught-up message. */
const SERVER_VERSION = '24.10.0';

/**
 * A single EventStoreDB node for tests, speaking the real gRPC protocol (the service
 * definitions generated inside @eventstore/db-client) over an in-memory log with EventStoreDB's
 * rules. It binds 127.0.0.1 on a free port, answers insecure (`tls=false`) connections, and can
 * be stopped and started again on the same port with its events kept, to test what clients do
 * while it is gone.
 *
 * What it leaves out: TLS, users and ACLs, BatchAppend, deletes, persistent subscriptions,
 * projections, gossip (single-node connection strings never ask for it).
 */
export class InProcessEventStoreDbServer {
  readonly log = new EventStoreDbLog();
  private server?: Server;
  private boundPort = 0;

  private constructor() {}

  static async start(): Promise<InProcessEventStoreDbServer> {
    const instance = new InProcessEventStoreDbServer();
    await instance.restart();
    return instance;
  }

  get port(): number {
    return this.boundPort;
  }

  get running(): boolean {
    return this.server !== undefined;
  }

  /** What ESDB_CONNECTION_STRING would be set to for this server. */
  get connectionString(): string {
    return `esdb://127.0.0.1:${this.boundPort}?tls=false`;
  }

  /** Starts serving again (on the port it had, or a free one the first time); the log is kept. */
  async restart(): Promise<void> {
    if (this.server) return;
    const server = new Server();
    server.addService(StreamsService, streamsService(this.log));
    const features: IServerFeaturesServer = {
      getSupportedMethods: (_call, callback) => callback(null, supportedMethods()),
    };
    server.addService(ServerFeaturesService, features);
    this.boundPort = await new Promise<number>((resolve, reject) =>
      server.bindAsync(`127.0.0.1:${this.boundPort}`, ServerCredentials.createInsecure(), (error, port) =>
        error ? reject(error) : resolve(port),
      ),
    );
    this.server = server;
  }

  /** Drops every connection and stops listening at once, as a crashed node would; the log is kept. */
  async stop(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    server?.forceShutdown();
  }
}

/** What the client asks before choosing Append or BatchAppend: Append only. */
function supportedMethods(): SupportedMethods {
  const streams = 'event_store.client.streams.streams';
  const methods = ['read', 'append'].map((name) => new SupportedMethod().setServiceName(streams).setMethodName(name));
  return new SupportedMethods().setMethodsList(methods).setEventStoreServerVersion(SERVER_VERSION);
}
