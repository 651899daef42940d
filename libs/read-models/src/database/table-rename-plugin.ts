import {
  IdentifierNode,
  OperationNodeTransformer,
  SchemableIdentifierNode,
  TableNode,
  type KyselyPlugin,
  type PluginTransformQueryArgs,
  type PluginTransformResultArgs,
  type QueryResult,
  type RootOperationNode,
  type UnknownRow,
} from 'kysely';

class TableRenameTransformer extends OperationNodeTransformer {
  constructor(private readonly names: ReadonlyMap<string, string>) {
    super();
  }

  protected override transformTable(node: TableNode): TableNode {
    const transformed = super.transformTable(node);
    const renamed = this.names.get(transformed.table.identifier.name);
    if (renamed === undefined) return transformed;
    return {
      ...transformed,
      table: SchemableIdentifierNode.is(transformed.table)
        ? { ...transformed.table, identifier: IdentifierNode.create(renamed) }
        : transformed.table,
    };
  }
}

/**
 * Points every query at other tables with the same layout (`conversation_views` becomes
 * `conversation_views_next`), so a rebuild runs the very same projection code against the
 * fresh tables it will swap in. Only table references are renamed; index names are not.
 */
export class TableRenamePlugin implements KyselyPlugin {
  private readonly transformer: TableRenameTransformer;

  constructor(names: Readonly<Record<string, string>>) {
    this.transformer = new TableRenameTransformer(new Map(Object.entries(names)));
  }

  transformQuery(args: PluginTransformQueryArgs): RootOperationNode {
    return this.transformer.transformNode(args.node);
  }

  async transformResult(args: PluginTransformResultArgs): Promise<QueryResult<UnknownRow>> {
    return args.result;
  }
}
