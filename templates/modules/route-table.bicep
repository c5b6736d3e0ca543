metadata name = 'Route table'
metadata description = 'A route table for one hub subnet or for the subnets of a spoke. Gateway route propagation stays on where the subnet needs the routes the gateways learn (GatewaySubnet requires it; the firewall must learn on-premises and branch routes).'

@export()
@description('A user-defined route.')
type routeType = {
  @description('Required. Route name, unique in the table.')
  name: string

  @description('Required. Destination prefix.')
  addressPrefix: string

  @description('Required. Where matching traffic goes.')
  nextHopType: 'VirtualAppliance' | 'Internet'

  @description('Optional. Next hop address; only for VirtualAppliance.')
  nextHopIpAddress: string?
}

@export()
@description('A route table, its routes and the subnet it is associated with.')
type routeTableType = {
  @description('Required. Name of the route table.')
  name: string

  @description('Required. The hub subnet the table is associated with; * for a spoke\'s (see its routeTableSubnets).')
  subnetName: string

  @description('Required. Whether routes learned by the gateways reach the subnet (BGP route propagation).')
  propagateGatewayRoutes: bool

  @description('Required. Routes of the table.')
  routes: routeType[]
}

@description('Required. Name of the route table.')
param name string

@description('Required. Azure region of the route table.')
param location string

@description('Optional. Tags put on the route table.')
param tags object = {}

@description('Optional. Whether routes learned by the gateways reach the subnet; GatewaySubnet requires true.')
param propagateGatewayRoutes bool = true

@description('Required. The routes, in spec order.')
param routes routeType[]

resource routeTable 'Microsoft.Network/routeTables@2025-05-01' = {
  name: name
  location: location
  tags: tags
  properties: {
    disableBgpRoutePropagation: !propagateGatewayRoutes
    routes: [
      for route in routes: {
        name: route.name
        properties: {
          addressPrefix: route.addressPrefix
          nextHopType: route.nextHopType
          nextHopIpAddress: route.?nextHopIpAddress
        }
      }
    ]
  }
}

@description('Resource ID of the route table.')
output resourceId string = routeTable.id

@description('Name of the route table.')
output name string = routeTable.name
